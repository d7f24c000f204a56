using Steer.Hooks;
using Steer.Models;
using Steer.Server;
using Steer.Server.Completions;
using Steer.Server.Contracts;
using Steer.Server.Http;
using Steer.Server.Steering;
using Steer.Tokenization;

namespace Steer.Fuzz;

/// <summary>
/// A request body as the server binds it (ApiJson.Bind) and checks it (CompletionPlan, steering), without HTTP
/// or a model: a 4xx (<see cref="ApiException"/>, which is what the binder throws too) is a rejection, anything else a bug.
/// </summary>
internal static class ServerTarget
{
    private static readonly Lazy<(ModelDescription Model, ServerOptions Options, VectorRegistry Vectors)> Server = new(() =>
    {
        var shape = new ModelShape(Layers: 2, ModelDim: 8, Heads: 2, VocabSize: Gpt2Tokenizer.EndOfText + 1, ContextLength: 64);
        var names = Enumerable.Range(0, shape.Layers).SelectMany(l => new[] { HookNames.ResidPre(l), HookNames.ResidPost(l) }).ToList();
        var model = new ModelDescription("fuzz", shape, Gpt2Tokenizer.Default, [Gpt2Tokenizer.EndOfText], new HookRegistry(names));
        var options = new ServerOptions();
        return (model, options, new VectorRegistry(options));
    });

    /// <summary>The rejection, or null when the request was accepted.</summary>
    public static Exception? Run(byte[] body)
    {
        var (model, options, vectors) = Server.Value;
        try
        {
            // The chat endpoint's body is bound the same way; its plan needs a chat template and a worker, so only binding is fuzzed.
            ApiJson.Bind<ChatCompletionRequest>(body);
        }
        catch (ApiException)
        {
            // The two bodies disagree on some fields (logprobs is a bool in chat), so one refusing is no rejection of the other.
        }
        try
        {
            var request = ApiJson.Bind<CompletionRequest>(body);
            CompletionPlan.From(request, model, "fuzz", options, vectors);
            return null;
        }
        catch (Exception e) when (e is ApiException or SteerException)
        {
            return e;
        }
    }
}
