using System.Text.Json;

namespace Steer.Evaluation.Cloze;

/// <summary>
/// One fill-in-the-blank fact in LAMA's format: a sentence with one <c>[MASK]</c> and the word it hides
/// (<c>obj_label</c>). A causal model sees only what comes before the mask: <see cref="Prompt"/>.
/// </summary>
/// <param name="Line">The line of the file it came from (from 1), for messages.</param>
public sealed record ClozeItem(int Line, string MaskedSentence, string Target)
{
    public const string Mask = "[MASK]";

    /// <summary>The sentence up to <c>[MASK]</c>, without the whitespace before it.</summary>
    public string Prompt => MaskedSentence[..MaskedSentence.IndexOf(Mask, StringComparison.Ordinal)].TrimEnd();
}

/// <summary>
/// Reads cloze items from JSONL: one object per line with <c>obj_label</c> and either <c>masked_sentence</c> (a string)
/// or LAMA's <c>masked_sentences</c> (a list, of which the first is used); other fields are ignored.
/// </summary>
public static class ClozeFile
{
    /// <summary>The items shipped with Steer: about fifty facts and common-sense statements written for it.</summary>
    public const string BuiltInName = "built-in cloze items";

    public static IReadOnlyList<ClozeItem> Read(string path)
    {
        if (!File.Exists(path)) throw new SteerException(ErrorKind.NotFound, $"{path}: no such cloze file");
        return Parse(path, File.ReadLines(path));
    }

    public static IReadOnlyList<ClozeItem> BuiltIn()
    {
        using var stream = typeof(ClozeFile).Assembly.GetManifestResourceStream("Steer.Evaluation.cloze.jsonl")
            ?? throw new SteerException(ErrorKind.Environment, "the built-in cloze items are missing from Steer.Evaluation");
        using var reader = new StreamReader(stream);
        return Parse(BuiltInName, reader.ReadToEnd().Split('\n'));
    }

    /// <param name="name">The file, as messages name it.</param>
    public static IReadOnlyList<ClozeItem> Parse(string name, IEnumerable<string> lines)
    {
        var items = new List<ClozeItem>();
        var number = 0;
        foreach (var line in lines)
        {
            number++;
            if (!string.IsNullOrWhiteSpace(line)) items.Add(ParseLine(name, line, number));
        }
        return items.Count > 0 ? items : throw new SteerException(ErrorKind.InvalidModel, $"{name}: no cloze items in the file");
    }

    private static ClozeItem ParseLine(string name, string line, int number)
    {
        SteerException Bad(string problem) => new(ErrorKind.InvalidModel, $"{name} line {number} {problem}");
        JsonElement root;
        try
        {
            using var json = JsonDocument.Parse(line);
            root = json.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw Bad($"is not valid JSON ({e.Message})");
        }
        if (root.ValueKind != JsonValueKind.Object) throw Bad("is not a JSON object");
        var sentence = root.TryGetProperty("masked_sentence", out var one) && one.ValueKind == JsonValueKind.String ? one.GetString()
            : root.TryGetProperty("masked_sentences", out var many) && many.ValueKind == JsonValueKind.Array && many.GetArrayLength() > 0
                && many[0].ValueKind == JsonValueKind.String ? many[0].GetString() : null;
        if (sentence is null) throw Bad("has no \"masked_sentence\" string (or LAMA's \"masked_sentences\" list)");
        if (!root.TryGetProperty("obj_label", out var label) || label.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(label.GetString()))
            throw Bad("has no \"obj_label\" string");
        var first = sentence.IndexOf(ClozeItem.Mask, StringComparison.Ordinal);
        if (first < 0) throw Bad($"has no {ClozeItem.Mask} in its sentence");
        if (sentence.IndexOf(ClozeItem.Mask, first + 1, StringComparison.Ordinal) >= 0)
            throw Bad($"has more than one {ClozeItem.Mask} in its sentence (a cloze item hides one word)");
        return new ClozeItem(number, sentence, label.GetString()!.Trim());
    }
}
