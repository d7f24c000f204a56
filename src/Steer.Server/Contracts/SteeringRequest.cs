using System.Text.Json;

namespace Steer.Server.Contracts;

/// <summary>
/// Steering for one request: activation additions, one of the post's recipes, a registered vector, or any mix
/// of them (summed, as the CLI sums its steering options); and how the vector is applied.
/// </summary>
public sealed record SteeringRequest
{
    /// <summary>Each <c>{"plus", "minus"?, "layer", "coeff"}</c>: c·(h(plus) − h(minus)) before block <c>layer</c> (a block number or a hook point name), or c·h(plus) without minus.</summary>
    public IReadOnlyList<JsonElement>? Additions { get; init; }

    /// <summary>A built-in recipe name (see <c>GET /v1/recipes</c>); its layers are scaled to this model.</summary>
    public string? Recipe { get; init; }

    /// <summary>An id from <c>POST /v1/vectors</c>.</summary>
    public string? Vector { get; init; }

    /// <summary>Multiplies the registered <see cref="Vector"/> (llama.cpp's control-vector scale); default 1.</summary>
    public double? Scale { get; init; }

    /// <summary>
    /// front, prompt, generated, all, or assistant (chat completions only: the reply, from the assistant header on);
    /// default: each vector's own (front for ActAdd, all for dataset and GGUF vectors).
    /// </summary>
    public string? Positions { get; init; }

    /// <summary>Never steer positions holding special tokens (chat template tokens, BOS, EOS).</summary>
    public bool? SkipSpecialTokens { get; init; }

    /// <summary>add (default) or ablate.</summary>
    public string? Operator { get; init; }

    /// <summary>front (default), mid or back.</summary>
    public string? Location { get; init; }

    /// <summary>error (default), pad or truncate: what a prompt shorter than the vector gets.</summary>
    public string? ShortPrompt { get; init; }

    /// <summary>The token that right-pads the shorter prompt of a pair (default: the tokenizer's pair pad; GPT-2: the space).</summary>
    public int? PadId { get; init; }
}

/// <summary>The body of <c>POST /v1/vectors</c>: what to compute, and an optional label.</summary>
public sealed record VectorRequest
{
    public string? Name { get; init; }

    /// <summary>As <see cref="SteeringRequest.Additions"/>.</summary>
    public IReadOnlyList<JsonElement>? Additions { get; init; }
    public string? Recipe { get; init; }
    public int? PadId { get; init; }
}
