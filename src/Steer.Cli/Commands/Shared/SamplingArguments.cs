using System.CommandLine;
using Steer.Generation;

namespace Steer.Cli.Commands.Shared;

/// <summary>-n, --max-new-tokens, --seed and the sampler's flags.</summary>
internal sealed class SamplingArguments(SamplingOptions defaults, int defaultCount = 1, int defaultMaxNewTokens = 50, long? defaultSeed = null)
{
    private readonly Option<int> _count = NumberOption.Int("-n", "Completions to sample (batched together).", defaultCount);
    private readonly Option<int?> _maxNewTokens = NumberOption.OptionalInt("--max-new-tokens", $"Tokens to generate (default {defaultMaxNewTokens}, or a recipe's own count).");
    private readonly Option<double> _temperature = NumberOption.Double("--temperature", "0 is greedy.", defaults.Temperature);
    private readonly Option<double?> _topP = NumberOption.OptionalDouble("--top-p", "Nucleus sampling threshold in (0, 1].", defaults.TopP);
    private readonly Option<int?> _topK = NumberOption.OptionalInt("--top-k", "Keep the k most likely tokens (wins over --top-p).", defaults.TopK);
    private readonly Option<double> _frequencyPenalty = NumberOption.Double("--freq-penalty", "Subtracted per earlier occurrence (prompt and BOS count).", defaults.FrequencyPenalty);
    private readonly Option<double> _presencePenalty = NumberOption.Double("--presence-penalty", "Subtracted once from every token already present.", defaults.PresencePenalty);
    private readonly Option<long?> _seed = NumberOption.OptionalLong("--seed", "Makes a run repeat exactly.", defaultSeed);

    public Option<int> CountOption => _count;

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { _count, _maxNewTokens, _temperature, _topP, _topK, _frequencyPenalty, _presencePenalty, _seed })
            command.Add(option);
    }

    /// <param name="fallbackMaxNewTokens">Used when --max-new-tokens is not given (a recipe's token count).</param>
    public GenerationOptions Options(ParseResult parse, int? fallbackMaxNewTokens = null) => new GenerationOptions
    {
        Count = parse.GetValue(_count),
        MaxNewTokens = parse.GetValue(_maxNewTokens) ?? fallbackMaxNewTokens ?? defaultMaxNewTokens,
        Seed = parse.GetValue(_seed),
        Sampling = new SamplingOptions
        {
            Temperature = parse.GetValue(_temperature),
            TopP = parse.GetValue(_topP),
            TopK = parse.GetValue(_topK),
            FrequencyPenalty = parse.GetValue(_frequencyPenalty),
            PresencePenalty = parse.GetValue(_presencePenalty),
        },
    }.Validate();
}
