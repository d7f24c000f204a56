using System.Text.Json;

namespace Steer.Server.Contracts;

/// <summary>
/// Steering for one request: activation additions, one of the post's recipes, a registered vector, or any mix
/// of them (summed, as the CLI sums its steering options); and how the vector is applied.
/// </summary>
public sealed record SteeringRequest
{
    public IReadOnlyList<AdditionRequest>? Additions { get; init; }

    /// <summary>A built-in recipe name (see <c>GET /v1/recipes</c>); its layers are scaled to this model.</summary>
    public string? Recipe { get; init; }

    /// <summary>An id from <c>POST /v1/vectors</c>.</summary>
    public string? Vector { get; init; }

    /// <summary>front (default), mid or back.</summary>
    public string? Location { get; init; }

    /// <summary>error (default), pad or truncate: what a prompt shorter than the vector gets.</summary>
    public string? ShortPrompt { get; init; }

    /// <summary>The token that right-pads the shorter prompt of a pair (default 220, the space).</summary>
    public int? PadId { get; init; }
}

/// <summary>c·(h(plus) − h(minus)) before block <c>layer</c>; without <c>minus</c>, c·h(plus).</summary>
public sealed record AdditionRequest
{
    public string? Plus { get; init; }
    public string? Minus { get; init; }

    /// <summary>A block number, or a hook point name such as <c>blocks.6.hook_resid_pre</c>.</summary>
    public JsonElement? Layer { get; init; }

    public double? Coeff { get; init; }
}

/// <summary>The body of <c>POST /v1/vectors</c>: what to compute, and an optional label.</summary>
public sealed record VectorRequest
{
    public string? Name { get; init; }
    public IReadOnlyList<AdditionRequest>? Additions { get; init; }
    public string? Recipe { get; init; }
    public int? PadId { get; init; }
}
