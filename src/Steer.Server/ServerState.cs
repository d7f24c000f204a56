using Steer.Server.Scheduling;
using Steer.Server.Steering;

namespace Steer.Server;

/// <summary>What every endpoint needs: the model (for its shape and tokenizer only: its tensors belong to the worker), the limits, the queue.</summary>
internal sealed record ServerState(LanguageModel Model, string ModelId, DateTimeOffset Started, ServerOptions Options, WorkQueue Queue,
    VectorRegistry Vectors, InferenceWorker Worker)
{
    public static ServerState Of(HttpContext context) => context.RequestServices.GetRequiredService<ServerState>();
}
