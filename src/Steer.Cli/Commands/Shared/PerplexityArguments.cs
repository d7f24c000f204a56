using System.CommandLine;
using Steer.Evaluation;

namespace Steer.Cli.Commands.Shared;

/// <summary>The texts of a perplexity evaluation (--file NAME=PATH, --topic NAME) and how they are scored (--mode, --mask).</summary>
internal sealed class PerplexityArguments
{
    private readonly Option<string[]> _files = new("--file")
    {
        Description = "A topic NAME=PATH: a file with one text per line, split into sentences. Repeatable.",
        AllowMultipleArgumentsPerToken = false,
    };
    private readonly Option<string[]> _topics = new("--topic")
    {
        Description = $"A built-in evaluation set: {string.Join(", ", Topic.BuiltInNames)}. Repeatable. Default when no --file: {string.Join(" and ", Topic.DefaultNames)}.",
        AllowMultipleArgumentsPerToken = false,
    };
    private readonly Option<string> _mode = new("--mode")
    {
        Description = "overlay (the vector on the sentence's first positions), pad (spaces after BOS carry the vector) or prompting (the steering prompt after BOS, no vector).",
        DefaultValueFactory = _ => "overlay",
    };
    private readonly Option<int?> _mask = NumberOption.OptionalInt("--mask", "Drop predictions from the first N positions (default: the vector's length, as the post).");
    private readonly Option<int> _batchTokens =
        NumberOption.Int("--batch-tokens", "At most this many padded positions per batch (bounds memory).", BatchScorer.DefaultTokenBudget);

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { _files, _topics, _mode, _mask, _batchTokens }) command.Add(option);
    }

    public PerplexityOptions Options(ParseResult parse)
    {
        var mode = parse.GetValue(_mode)!.ToLowerInvariant() switch
        {
            "overlay" => PerplexityMode.Overlay,
            "pad" => PerplexityMode.Pad,
            "prompting" => PerplexityMode.Prompting,
            var other => throw new SteerException(ErrorKind.InvalidArgument, $"--mode '{other}': use overlay, pad or prompting"),
        };
        return new PerplexityOptions { Mode = mode, Mask = parse.GetValue(_mask), TokenBudget = parse.GetValue(_batchTokens) };
    }

    /// <summary>Whether any topic is named (--file or --topic), which a corpus run refuses.</summary>
    public bool HasTopics(ParseResult parse) => parse.GetValue(_files) is { Length: > 0 } || parse.GetValue(_topics) is { Length: > 0 };

    /// <summary>The topics in the order given: files, then built-in sets; the default sets when neither is given.</summary>
    public IReadOnlyList<Topic> Topics(ParseResult parse)
    {
        var topics = new List<Topic>();
        foreach (var spec in parse.GetValue(_files) ?? [])
        {
            var equals = spec.IndexOf('=');
            if (equals <= 0 || equals == spec.Length - 1)
                throw new SteerException(ErrorKind.InvalidArgument, $"--file \"{spec}\": expected NAME=PATH, e.g. weddings=essay.txt");
            topics.Add(Topic.FromFile(spec[..equals], spec[(equals + 1)..]));
        }
        topics.AddRange((parse.GetValue(_topics) ?? []).Select(Topic.BuiltIn));
        return topics.Count > 0 ? topics : Topic.DefaultNames.Select(Topic.BuiltIn).ToList();
    }
}
