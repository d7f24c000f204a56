using System.Text;
using Steer.Server.Completions;
using Steer.Server.Contracts;
using Steer.Server.Http;
using Steer.Server.Scheduling;

namespace Steer.Server.Endpoints;

/// <summary>
/// <c>POST /v1/chat/completions</c>: OpenAI's chat completions through the model's own chat template, with
/// per-request steering, as JSON or server-sent events (a role chunk, content chunks, a finish chunk per choice).
/// </summary>
internal static class ChatCompletionEndpoints
{
    public static void Map(IEndpointRouteBuilder app) => app.MapPost("/v1/chat/completions", HandleAsync);

    private static async Task HandleAsync(HttpContext context)
    {
        var state = ServerState.Of(context);
        var request = await ApiJson.ReadBodyAsync<ChatCompletionRequest>(context, state.Options.MaxBodyBytes);
        var plan = ChatPlan.From(request, state);
        var head = new Head("chatcmpl-" + Guid.NewGuid().ToString("N")[..24], DateTimeOffset.UtcNow.ToUnixTimeSeconds(), state.ModelId);
        await JobRunner.RunAsync(context, state, plan, async job =>
        {
            if (!plan.Stream)
            {
                await job.Done;
                await CompletionEndpoints.WriteJsonAsync(context, Response(job, head));
                return;
            }
            var started = new HashSet<int>();
            var completed = await JobRunner.StreamAsync(context, job, e => Chunks(e, head, started));
            if (!completed) return;
            if (plan.IncludeUsage) await ServerSentEvents.WriteAsync(context, ApiJson.Serialize(head.Chunk([], job.Usage)));
            await ServerSentEvents.WriteAsync(context, "[DONE]");
        });
    }

    /// <summary>A choice's first event is preceded by its role chunk, as OpenAI streams it.</summary>
    private static IEnumerable<string> Chunks(CompletionEvent e, Head head, HashSet<int> started)
    {
        if (started.Add(e.Choice))
            yield return ApiJson.Serialize(head.Chunk([new ChatChunkChoice(e.Choice, new ChatDelta { Role = "assistant", Content = "" }, null, null)], null));
        yield return ApiJson.Serialize(head.Chunk([e switch
        {
            DeltaEvent delta => new ChatChunkChoice(delta.Choice, new ChatDelta { Content = delta.Text },
                delta.Logprobs is null ? null : Logprobs([delta.Logprobs]), null),
            FinishEvent finish => new ChatChunkChoice(finish.Choice, new ChatDelta(), null, finish.Reason),
            _ => throw new InvalidOperationException($"unknown event {e}"),
        }], null));
    }

    private static ChatCompletionResponse Response(CompletionJob job, Head head) => new(head.Id, "chat.completion", head.Created, head.Model, null,
        job.Choices.Select((c, i) => new ChatChoice(i, new ChatMessageBody("assistant", c.Text, null),
            job.Plan.Logprobs is null ? null : Logprobs(c.Logprobs), c.FinishReason!)).ToList(),
        job.Usage);

    private static ChatLogprobs Logprobs(IReadOnlyList<LogprobEntry> entries) => new(
        entries.Select(e => new ChatTokenLogprob(e.Token, e.Logprob, Bytes(e.Token),
            e.Alternatives.Select(a => new ChatTopLogprob(a.Token, a.Logprob, Bytes(a.Token))).ToList())).ToList(),
        null);

    /// <summary>The token's text as UTF-8 bytes (a token holding part of a character is shown with \x escapes, so those are its bytes).</summary>
    private static IReadOnlyList<int> Bytes(string token) => Encoding.UTF8.GetBytes(token).Select(b => (int)b).ToList();

    private sealed record Head(string Id, long Created, string Model)
    {
        public ChatCompletionChunk Chunk(IReadOnlyList<ChatChunkChoice> choices, Usage? usage) =>
            new(Id, "chat.completion.chunk", Created, Model, null, choices, usage);
    }
}
