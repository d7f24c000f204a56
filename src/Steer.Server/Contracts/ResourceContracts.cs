using Steer.Steering;

namespace Steer.Server.Contracts;

/// <summary><c>{"object":"list","data":[...]}</c>.</summary>
public sealed record ListResponse<T>(IReadOnlyList<T> Data)
{
    public string Object => "list";
}

/// <summary>An entry of <c>GET /v1/models</c>, with the model's shape as extra fields.</summary>
/// <param name="ChatTemplate">Whether the model has a chat template, which /v1/chat/completions needs.</param>
public sealed record ModelInfo(string Id, string Object, long Created, string OwnedBy, int ContextLength, int Layers, int DModel, bool ChatTemplate);

/// <summary>A registered steering vector.</summary>
/// <param name="Notes">What was adapted, e.g. a recipe's layers scaled to this model.</param>
public sealed record VectorInfo(string Id, string Object, long Created, string? Name, string Model, int Positions,
    IReadOnlyList<string> HookPoints, IReadOnlyList<Addition> Additions, IReadOnlyList<string> Notes);

/// <summary>One of the post's examples, with its layers scaled to the served model.</summary>
/// <param name="Additions">
/// Each <c>{"plus", "minus", "layer", "post_layer", "coeff"}</c>: the recipe's <see cref="Addition"/> with its block
/// scaled to this model (<c>layer</c>) and as the post gave it for GPT-2-XL (<c>post_layer</c>).
/// </param>
public sealed record RecipeInfo(string Name, string Prompt, int Tokens, string Outcome, IReadOnlyList<object> Additions);

public sealed record HealthResponse(string Status, string Model, int Queued, int Running, WorkerStatistics Worker);

/// <summary>What the inference worker has done since the server started.</summary>
/// <param name="MixedBatches">Batches in which steered and unsteered requests ran together.</param>
/// <param name="LargestBatch">Most rows (completions) in one batch.</param>
public sealed record WorkerStatistics(long Batches, long Requests, long MixedBatches, long LargestBatch, long Cancelled, long Tokens);
