namespace Steer.Evaluation;

/// <summary>A named set of sentences that an evaluation scores together (e.g. "weddings", "shipping").</summary>
public sealed record Topic(string Name, IReadOnlyList<string> Sentences)
{
    /// <summary>The evaluation sets shipped with Steer, written for it: weddings, shipping and cooking.</summary>
    public static IReadOnlyList<string> BuiltInNames { get; } = ["weddings", "shipping", "cooking"];

    /// <summary>The sets used when none are named: the post's comparison of an on-topic and an off-topic text.</summary>
    public static IReadOnlyList<string> DefaultNames { get; } = ["weddings", "shipping"];

    /// <summary>A built-in set, split into sentences.</summary>
    public static Topic BuiltIn(string name)
    {
        if (!BuiltInNames.Contains(name))
            throw new SteerException(ErrorKind.NotFound, $"no built-in evaluation set '{name}'; built-in sets: {string.Join(", ", BuiltInNames)}");
        using var stream = typeof(Topic).Assembly.GetManifestResourceStream($"Steer.Evaluation.{name}.txt")
            ?? throw new SteerException(ErrorKind.Environment, $"the built-in evaluation set '{name}' is missing from Steer.Core");
        using var reader = new StreamReader(stream);
        return FromLines(name, reader.ReadToEnd().Split('\n'));
    }

    /// <summary>A file with one text per line (a paragraph or a sentence); empty lines are skipped.</summary>
    public static Topic FromFile(string name, string path)
    {
        if (!File.Exists(path)) throw new SteerException(ErrorKind.NotFound, $"{path}: no such file (given for topic '{name}')");
        var topic = FromLines(name, File.ReadAllLines(path));
        return topic.Sentences.Count > 0 ? topic
            : throw new SteerException(ErrorKind.InvalidArgument, $"{path}: no text in the file (given for topic '{name}')");
    }

    /// <summary>
    /// The sentences <paramref name="shard"/> scores: a run of all topics' sentences in order, the runs balanced by
    /// length, each topic keeping its name (and possibly no sentence).
    /// </summary>
    public static IReadOnlyList<Topic> ShardOf(IReadOnlyList<Topic> topics, Steer.Sharding.Shard shard)
    {
        var all = topics.SelectMany((topic, t) => topic.Sentences.Select(sentence => (Topic: t, Sentence: sentence))).ToList();
        var (start, length) = shard.Range(all.Select(s => (double)s.Sentence.Length + 1).ToList());
        var taken = all.Skip(start).Take(length).ToList();
        return topics.Select((topic, t) => topic with { Sentences = taken.Where(s => s.Topic == t).Select(s => s.Sentence).ToList() }).ToList();
    }

    public static Topic FromLines(string name, IEnumerable<string> lines) =>
        new(name, SentenceSplitter.SplitLines(lines.Select(line => line.TrimEnd('\r'))));
}
