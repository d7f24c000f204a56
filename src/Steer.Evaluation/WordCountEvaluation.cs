using Steer.Generation;
using Steer.Steering;

namespace Steer.Evaluation;

/// <summary>Completions of one side and their word counts.</summary>
public sealed record WordCountSide(WordCountSummary Summary, IReadOnlyList<string> Completions);

/// <summary>
/// The paper's word-count metric: N completions of a prompt, unsteered and steered, and how often they use
/// the topic's words (completions only, never the prompt). Completion i of both sides starts from the same
/// seed. The unsteered side is sampled once and reused by every <see cref="Measure"/>.
/// </summary>
public sealed class WordCountEvaluation
{
    private readonly LanguageModel _model;
    private readonly IReadOnlyList<int> _prompt;
    private readonly GenerationOptions _options;
    private WordCountSide? _baseline;

    public WordCountEvaluation(LanguageModel model, IReadOnlyList<int> prompt, GenerationOptions options, WordCounter counter)
    {
        _model = model;
        _prompt = prompt;
        // A fixed seed, so that steered and unsteered completion i share their random draws.
        _options = options.WithSeed();
        _options.Validate();
        Counter = counter;
    }

    public WordCounter Counter { get; }

    public long Seed => _options.Seed!.Value;

    /// <summary>Everything the counts depend on besides the model and the vector: prompt ids, generation options and seed, words.</summary>
    public string Identity => $"prompt {string.Join(',', _prompt)} options {_options} words {string.Join(',', Counter.Targets)}";

    public WordCountSide Baseline() => _baseline ??= Side(_model.Generate([_prompt], _options));

    public WordCountSide Measure(SteeringVector vector, SteeringOptions? steeringOptions = null) =>
        Side(_model.Generate([_prompt], _options, vector, steeringOptions));

    private WordCountSide Side(GenerationResult result)
    {
        var texts = result.Completions.Select(ids => _model.Tokenizer.Decode(ids)).ToList();
        return new WordCountSide(WordCountSummary.Of(Counter, texts), texts);
    }
}
