namespace Steer.Generation;

/// <summary>What to generate.</summary>
public sealed record GenerationOptions
{
    public int MaxNewTokens { get; init; } = 50;

    /// <summary>Completions of each prompt, sampled together in one batch.</summary>
    public int Count { get; init; } = 1;

    /// <summary>
    /// The index of the first completion: completions FirstCompletion … FirstCompletion + Count − 1 are sampled with
    /// the random draws they get in one run of FirstCompletion + Count completions, so a run can be split into shards.
    /// </summary>
    public int FirstCompletion { get; init; }

    public SamplingOptions Sampling { get; init; } = new();

    /// <summary>Makes a run repeat exactly; a random seed is drawn (and reported) when null.</summary>
    public long? Seed { get; init; }

    /// <summary>Once a row emits &lt;|endoftext|&gt; it stops; the batch stops when every row has.</summary>
    public bool StopAtEndOfText { get; init; } = true;

    /// <summary>These options with <see cref="Seed"/> drawn at random when it is null, so that the seed can be reported.</summary>
    public GenerationOptions WithSeed() => Seed is null ? this with { Seed = Random.Shared.NextInt64(0, long.MaxValue) } : this;

    public GenerationOptions Validate()
    {
        if (MaxNewTokens < 0) throw new SteerException(ErrorKind.InvalidArgument, $"max new tokens must be >= 0, got {MaxNewTokens}");
        if (Count < 1) throw new SteerException(ErrorKind.InvalidArgument, $"the number of completions must be >= 1, got {Count}");
        if (FirstCompletion < 0) throw new SteerException(ErrorKind.InvalidArgument, $"the first completion's index must be >= 0, got {FirstCompletion}");
        Sampling.Validate();
        return this;
    }
}

/// <summary>The completions of one generation call, in prompt-major order (prompt 0's completions first).</summary>
/// <param name="PromptIds">The prompts as given.</param>
/// <param name="Completions">New token ids only; a completion that ended keeps its one &lt;|endoftext|&gt;.</param>
/// <param name="Seed">The seed used.</param>
public sealed record GenerationResult(IReadOnlyList<IReadOnlyList<int>> PromptIds, IReadOnlyList<int[]> Completions, long Seed);
