using Steer.Generation;
using Steer.Steering;

namespace Steer;

public sealed partial class LanguageModel
{
    /// <summary>Samples completions of <paramref name="prompt"/> (with BOS), steered when a vector is given.</summary>
    public GenerationResult Generate(string prompt, GenerationOptions options, SteeringVector? steering = null,
        SteeringOptions? steeringOptions = null, Action<int, int>? onToken = null) =>
        Generate([Tokenizer.Encode(prompt)], options, steering, steeringOptions, onToken);

    /// <summary>
    /// Samples completions with the vector added to each prompt's front positions in the prompt pass only;
    /// decoding steps read the steered keys and values from the cache but are not steered themselves.
    /// </summary>
    public GenerationResult Generate(IReadOnlyList<IReadOnlyList<int>> prompts, GenerationOptions options, SteeringVector? steering,
        SteeringOptions? steeringOptions = null, Action<int, int>? onToken = null)
    {
        if (steering is null) return Generate(prompts, options, hooks: null, onToken);
        steeringOptions ??= new SteeringOptions();
        var prepared = prompts.Select(p => PrepareForSteering(p, steering, steeringOptions)).ToList();
        using var injector = new SteeringInjector(this, steering, steeringOptions);
        var result = Generate(prepared, options, injector.Hooks, onToken);
        return result with { PromptIds = prompts };
    }

    /// <summary>
    /// Unsteered and steered completions of one prompt, sampled in one batch: completion i of each side
    /// starts from the same seed, so the two sides differ only by the steering.
    /// </summary>
    public (GenerationResult Unsteered, GenerationResult Steered) Compare(IReadOnlyList<int> prompt, GenerationOptions options,
        SteeringVector steering, SteeringOptions? steeringOptions = null)
    {
        steeringOptions ??= new SteeringOptions();
        options = options with { Seed = options.Seed ?? Random.Shared.NextInt64(0, long.MaxValue) };
        var steeredPrompt = PrepareForSteering(prompt, steering, steeringOptions);
        using var injector = new SteeringInjector(this, steering, steeringOptions, steersRow: row => row >= options.Count);
        var both = Generate([prompt, steeredPrompt], options, injector.Hooks);
        var unsteered = new GenerationResult([prompt], both.Completions.Take(options.Count).ToArray(), both.Seed);
        var steered = new GenerationResult([prompt], both.Completions.Skip(options.Count).ToArray(), both.Seed);
        return (unsteered, steered);
    }

    /// <summary>Per-token log-probabilities of <paramref name="text"/> (with BOS), steered when a vector is given.</summary>
    public ScoreResult Score(string text, SteeringVector? steering = null, SteeringOptions? steeringOptions = null) =>
        Score(Tokenizer.Encode(text), steering, steeringOptions);

    public ScoreResult Score(IReadOnlyList<int> ids, SteeringVector? steering, SteeringOptions? steeringOptions = null)
    {
        if (steering is null) return Score(ids, hooks: null);
        steeringOptions ??= new SteeringOptions();
        var prepared = PrepareForSteering(ids, steering, steeringOptions);
        using var injector = new SteeringInjector(this, steering, steeringOptions);
        return Score(prepared, injector.Hooks);
    }

    /// <summary>Applies the short-prompt policy: a prompt shorter than the vector is refused, padded, or left for truncation.</summary>
    internal IReadOnlyList<int> PrepareForSteering(IReadOnlyList<int> prompt, SteeringVector steering, SteeringOptions options)
    {
        var n = steering.Positions;
        if (prompt.Count >= n || options.ShortPrompt == ShortPromptPolicy.Truncate) return prompt;
        if (options.ShortPrompt == ShortPromptPolicy.Error)
            throw new SteerException(ErrorKind.InvalidArgument,
                $"the prompt has {prompt.Count} tokens but the steering vector spans {n} positions; use a longer prompt, " +
                "or let the short-prompt policy pad the prompt with spaces after BOS or truncate the vector");
        return [prompt[0], .. Enumerable.Repeat(options.PadId ?? ActAdd.DefaultPadId(this), n - 1), .. prompt.Skip(1)];
    }
}
