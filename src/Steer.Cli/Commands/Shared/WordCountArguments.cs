using System.CommandLine;
using Steer.Evaluation;
using Steer.Steering.Recipes;

namespace Steer.Cli.Commands.Shared;

/// <summary>The word-count metric's words, prompt and sampling (the paper's: 40 tokens, the post's sampler, seed 0).</summary>
internal sealed class WordCountArguments
{
    /// <summary>The paper's word-count prompt.</summary>
    public const string DefaultPrompt = "I went up to my friend and said";

    private readonly Option<string?> _words = new("--words")
    {
        Description = $"Comma-separated words to count. Default: the post's wedding words ({string.Join(",", WordCounter.WeddingWords)}).",
    };

    public WordCountArguments(int defaultCount) =>
        Sampling = new SamplingArguments(RecipeBook.PostSampling, defaultCount: defaultCount, defaultMaxNewTokens: 40, defaultSeed: 0);

    public InputArguments Input { get; } = new("--prompt", $"The prompt; the BOS token (GPT-2: <|endoftext|>) is prepended, if the tokenizer adds one, unless --no-bos. Default \"{DefaultPrompt}\".", DefaultPrompt);

    public SamplingArguments Sampling { get; }

    public void AddTo(Command command)
    {
        command.Add(_words);
        Input.AddTo(command);
        Sampling.AddTo(command);
    }

    public WordCounter Counter(ParseResult parse) => CounterOf(parse.GetValue(_words));

    /// <summary>The counter of a --words value: comma-separated words, or the post's wedding words when null.</summary>
    public static WordCounter CounterOf(string? words) =>
        new(words is not null ? words.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) : WordCounter.WeddingWords);

    public WordCountEvaluation Evaluation(ParseResult parse, LanguageModel model) =>
        new(model, Input.Ids(parse, model.Tokenizer), Sampling.Options(parse), Counter(parse));
}
