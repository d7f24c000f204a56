using Steer.Server.Scheduling;
using Steer.Server.Steering;

namespace Steer.Server;

/// <summary>
/// What every endpoint needs: the model's description (shape, tokenizer, hook names; the model itself belongs to
/// the inference worker alone), the limits, the queue.
/// </summary>
internal sealed record ServerState(ModelDescription Model, string ModelId, DateTimeOffset Started, ServerOptions Options, WorkQueue Queue,
    VectorRegistry Vectors, InferenceWorker Worker)
{
    public static ServerState Of(HttpContext context) => context.RequestServices.GetRequiredService<ServerState>();
}
