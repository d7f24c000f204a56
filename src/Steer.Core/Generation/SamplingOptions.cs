namespace Steer.Generation;

/// <summary>
/// How the next token is chosen, with the semantics of the TransformerLens version the ActAdd post used:
/// logits are divided by the temperature, then the penalties are subtracted, then top-k (which wins over
/// top-p) or top-p filtering, then a multinomial draw. Temperature 0 is greedy (penalties do not apply).
/// </summary>
public sealed record SamplingOptions
{
    public double Temperature { get; init; } = 1.0;

    /// <summary>Nucleus sampling: keep the most likely tokens up to and including the first whose cumulative probability exceeds this. Null or 1 turns it off.</summary>
    public double? TopP { get; init; }

    /// <summary>Keep the k most likely tokens. Wins over <see cref="TopP"/>.</summary>
    public int? TopK { get; init; }

    /// <summary>Subtracted once per earlier occurrence of a token in the whole sequence, BOS and prompt included.</summary>
    public double FrequencyPenalty { get; init; }

    /// <summary>Subtracted once from every token that occurs anywhere in the sequence so far.</summary>
    public double PresencePenalty { get; init; }

    public bool IsGreedy => Temperature == 0;

    /// <summary>The post's sampler: temperature 1, top-p 0.3, frequency penalty 1.</summary>
    public static SamplingOptions ActAddPost { get; } = new() { Temperature = 1.0, TopP = 0.3, FrequencyPenalty = 1.0 };

    public static SamplingOptions Greedy { get; } = new() { Temperature = 0 };

    /// <summary>Throws a clear <see cref="SteerException"/> for values that cannot be used.</summary>
    public SamplingOptions Validate()
    {
        if (!double.IsFinite(Temperature) || Temperature < 0)
            throw Invalid($"temperature must be a finite number >= 0, got {Temperature}");
        if (TopP is { } p && (!double.IsFinite(p) || p <= 0 || p > 1))
            throw Invalid($"top-p must be in (0, 1], got {p}");
        if (TopK is { } k && k < 1)
            throw Invalid($"top-k must be at least 1, got {k}");
        if (!double.IsFinite(FrequencyPenalty)) throw Invalid($"frequency penalty must be finite, got {FrequencyPenalty}");
        if (!double.IsFinite(PresencePenalty)) throw Invalid($"presence penalty must be finite, got {PresencePenalty}");
        return this;
    }

    private static SteerException Invalid(string message) => new(ErrorKind.InvalidArgument, message);
}
