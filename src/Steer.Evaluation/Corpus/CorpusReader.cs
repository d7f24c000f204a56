using System.Text.Json;

namespace Steer.Evaluation.Corpus;

/// <summary>One document of a corpus and the line of the file it starts on (from 1), for messages.</summary>
public sealed record CorpusDocument(int Line, string Text);

/// <summary>The two corpus layouts: one JSON object with a "text" string per line, or documents separated by blank lines.</summary>
public enum CorpusFormat
{
    Jsonl,
    Paragraphs,
}

/// <summary>
/// Reads a corpus lazily, one document at a time, so that a file larger than memory can be scored: only the
/// document being read is held. The format is JSONL when the first non-blank line starts with '{', else
/// plain text whose documents are separated by blank lines (a document's lines are joined with '\n').
/// </summary>
public sealed class CorpusReader
{
    private readonly Func<Stream> _open;
    private readonly string _name;

    private CorpusReader(string name, Func<Stream> open) => (_name, _open) = (name, open);

    /// <summary>A corpus file; refused now when it does not exist, read when enumerated.</summary>
    public static CorpusReader FromFile(string path)
    {
        if (!File.Exists(path)) throw new SteerException(ErrorKind.NotFound, $"{path}: no such corpus file");
        return new CorpusReader(path, () => new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan));
    }

    /// <summary>A corpus in memory, e.g. for tests; <paramref name="name"/> stands for the file in messages.</summary>
    public static CorpusReader FromText(string name, string text) =>
        new(name, () => new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text)));

    /// <summary>The format of the first non-blank line (<see cref="CorpusFormat.Paragraphs"/> for an empty corpus).</summary>
    public CorpusFormat Format()
    {
        using var reader = new StreamReader(_open());
        while (reader.ReadLine() is { } line)
            if (!string.IsNullOrWhiteSpace(line)) return line.TrimStart().StartsWith('{') ? CorpusFormat.Jsonl : CorpusFormat.Paragraphs;
        return CorpusFormat.Paragraphs;
    }

    /// <summary>The documents in file order; <paramref name="progress"/> receives the share of the file read so far (0..1).</summary>
    public IEnumerable<CorpusDocument> Documents(Action<double>? progress = null)
    {
        var format = Format();
        using var stream = _open();
        using var reader = new StreamReader(stream);
        var length = stream.CanSeek ? stream.Length : 0;
        void Report()
        {
            if (progress is not null && length > 0) progress(Math.Min(1.0, (double)stream.Position / length));
        }
        var documents = format == CorpusFormat.Jsonl ? Jsonl(reader) : Paragraphs(reader);
        foreach (var document in documents)
        {
            Report();
            yield return document;
        }
        progress?.Invoke(1.0);
    }

    private IEnumerable<CorpusDocument> Jsonl(StreamReader reader)
    {
        var number = 0;
        while (reader.ReadLine() is { } line)
        {
            number++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            yield return new CorpusDocument(number, ParseLine(line, number));
        }
    }

    private string ParseLine(string line, int number)
    {
        try
        {
            using var json = JsonDocument.Parse(line);
            if (json.RootElement.ValueKind != JsonValueKind.Object) throw Malformed(number, "is not a JSON object");
            if (!json.RootElement.TryGetProperty("text", out var text)) throw Malformed(number, "has no \"text\"");
            return text.ValueKind == JsonValueKind.String ? text.GetString()! : throw Malformed(number, "has a \"text\" that is not a string");
        }
        catch (JsonException e)
        {
            throw Malformed(number, $"is not valid JSON ({e.Message})");
        }
    }

    private SteerException Malformed(int line, string problem) =>
        new(ErrorKind.InvalidModel, $"{_name} line {line} {problem}: a JSONL corpus has one {{\"text\": ...}} object per line");

    private static IEnumerable<CorpusDocument> Paragraphs(StreamReader reader)
    {
        var lines = new List<string>();
        var (number, start) = (0, 0);
        while (reader.ReadLine() is { } line)
        {
            number++;
            if (!string.IsNullOrWhiteSpace(line))
            {
                if (lines.Count == 0) start = number;
                lines.Add(line);
                continue;
            }
            if (lines.Count == 0) continue;
            yield return new CorpusDocument(start, string.Join('\n', lines));
            lines.Clear();
        }
        if (lines.Count > 0) yield return new CorpusDocument(start, string.Join('\n', lines));
    }
}
