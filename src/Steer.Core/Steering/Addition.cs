using System.Text.Json.Serialization;
using Steer.Hooks;

namespace Steer.Steering;

/// <summary>
/// One activation addition: c·(h(plus) − h(minus)) at a hook point, or c·h(plus) when nothing is subtracted,
/// each prompt's residual stream taken from the clean model. The same value is what a command line, a server
/// request and a recipe describe, what <c>ActAdd.Build</c> computes, and what a vector's metadata records.
/// </summary>
/// <remarks>In JSON (vector files, recipes, the server's answers) the keys are snake_case; see <see cref="AdditionJson"/>.</remarks>
[JsonConverter(typeof(AdditionJson))]
public sealed record Addition
{
    /// <summary>The added prompt, tokenised with BOS. Exactly one of Plus and PlusIds is set.</summary>
    public string? Plus { get; init; }

    /// <summary>The added token ids, used literally (include BOS yourself).</summary>
    public IReadOnlyList<int>? PlusIds { get; init; }

    /// <summary>The subtracted prompt; with MinusIds null too, nothing is subtracted (a single addition).</summary>
    public string? Minus { get; init; }

    public IReadOnlyList<int>? MinusIds { get; init; }

    public required string HookPoint { get; init; }

    public required double Coeff { get; init; }

    /// <summary>
    /// Whether the shorter prompt of a pair is right-padded to the other's length (the post's choice). False adds
    /// each prompt unpadded at its own front positions, as the original library did. Singles are never padded.
    /// </summary>
    public bool Pad { get; init; } = true;

    /// <summary>
    /// The token that pads a pair; null is the tokenizer's pair pad token (GPT-2: the space). In a built
    /// vector's metadata it is the token actually used, and null when nothing was padded.
    /// </summary>
    public int? PadId { get; init; }

    /// <summary>
    /// Where the prompts' activations are read when that is not where the vector is added: the post's layer
    /// transplant ("0 → 20": recorded at <c>blocks.0.hook_resid_pre</c>, injected at <see cref="HookPoint"/>). Null reads
    /// them at <see cref="HookPoint"/>. A block number ("2") means its <c>hook_resid_pre</c>; a built vector's metadata
    /// holds the resolved name.
    /// </summary>
    public string? RecordHookPoint { get; init; }

    /// <summary>
    /// With <see cref="RecordHookPoint"/>: multiply the transplanted vector by the geometric mean over positions ≥ 1 of
    /// ‖v(HookPoint)‖ / ‖v(RecordHookPoint)‖, v being this addition computed at each (the post's "×2.90"), so that it
    /// has the size a vector made at the injection point would have.
    /// </summary>
    public bool RescaleToHookPoint { get; init; }

    /// <summary>Whether something is subtracted.</summary>
    [JsonIgnore]
    public bool IsPair => Minus is not null || MinusIds is not null;

    /// <summary>c·(h(plus) − h(minus)) before block <paramref name="layer"/>, padded with the model's default token.</summary>
    public static Addition AtLayer(int layer, string plus, string? minus, double coeff) =>
        new() { Plus = plus, Minus = minus, HookPoint = HookNames.ResidPre(layer), Coeff = coeff };

    // Token ids compare by value, so that an addition read back from a file equals the one that was written.
    public bool Equals(Addition? other) =>
        other is not null && Plus == other.Plus && Minus == other.Minus && HookPoint == other.HookPoint
        && Coeff.Equals(other.Coeff) && Pad == other.Pad && PadId == other.PadId
        && RecordHookPoint == other.RecordHookPoint && RescaleToHookPoint == other.RescaleToHookPoint
        && SameIds(PlusIds, other.PlusIds) && SameIds(MinusIds, other.MinusIds);

    public override int GetHashCode() => HashCode.Combine(Plus, Minus, HookPoint, Coeff, Pad, PadId, PlusIds?.Count, MinusIds?.Count);

    private static bool SameIds(IReadOnlyList<int>? a, IReadOnlyList<int>? b) =>
        a is null ? b is null : b is not null && a.SequenceEqual(b);
}
