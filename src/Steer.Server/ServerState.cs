using Steer.Chat;
using Steer.Server.Scheduling;
using Steer.Server.Steering;

namespace Steer.Server;

/// <summary>
/// What every endpoint needs: the model's description (shape, tokenizer, hook names; the model itself belongs to
/// the inference worker alone), the limits, the queue.
/// </summary>
/// <param name="ChatTemplate">The model's chat template, which /v1/chat/completions needs; null when it has none.</param>
internal sealed record ServerState(ModelDescription Model, string ModelId, DateTimeOffset Started, ServerOptions Options, WorkQueue Queue,
    VectorRegistry Vectors, InferenceWorker Worker, ChatTemplateSource? ChatTemplate)
{
    public static ServerState Of(HttpContext context) => context.RequestServices.GetRequiredService<ServerState>();
}
