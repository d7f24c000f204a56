using System.Text.Json;

namespace Steer.Steering.Datasets;

/// <summary>One contrastive pair: a text showing the behaviour, and one that does not.</summary>
public sealed record ContrastivePair(string Positive, string Negative);

/// <summary>
/// Contrastive pairs from a file, in either of the two formats people share them in:
/// JSONL with one <c>{"positive": "...", "negative": "..."}</c> per line, or CAA's A/B format, a JSON list of
/// <c>{"question", "answer_matching_behavior", "answer_not_matching_behavior"}</c> whose positive text is the question
/// followed by a space and the matching answer (and the negative the question followed by the other).
/// </summary>
public static class ContrastiveDataset
{
    /// <exception cref="SteerException">
    /// NotFound for a missing file; InvalidArgument naming the file, line (or entry) and problem for a malformed one,
    /// and for an empty dataset.
    /// </exception>
    public static IReadOnlyList<ContrastivePair> Load(string path)
    {
        if (!File.Exists(path)) throw new SteerException(ErrorKind.NotFound, $"{path}: no such dataset file");
        var text = File.ReadAllText(path);
        var pairs = text.TrimStart().StartsWith('[') ? ReadAnswerPairs(path, text) : ReadJsonLines(path, text);
        return pairs.Count > 0 ? pairs : throw new SteerException(ErrorKind.InvalidArgument, $"{path}: the dataset has no pairs");
    }

    private static List<ContrastivePair> ReadJsonLines(string path, string text)
    {
        var pairs = new List<ContrastivePair>();
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0) continue;
            var where = $"{path}, line {i + 1}";
            JsonDocument doc;
            try
            {
                doc = JsonDocument.Parse(line);
            }
            catch (JsonException e)
            {
                throw new SteerException(ErrorKind.InvalidArgument, $"{where}: not valid JSON ({e.Message})");
            }
            using (doc)
            {
                if (doc.RootElement.ValueKind != JsonValueKind.Object)
                    throw new SteerException(ErrorKind.InvalidArgument, $"{where}: expected an object {{\"positive\": \"...\", \"negative\": \"...\"}}");
                pairs.Add(new ContrastivePair(Text(doc.RootElement, "positive", where), Text(doc.RootElement, "negative", where)));
            }
        }
        return pairs;
    }

    private static List<ContrastivePair> ReadAnswerPairs(string path, string text)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(text);
        }
        catch (JsonException e)
        {
            throw new SteerException(ErrorKind.InvalidArgument, $"{path}: not valid JSON ({e.Message})");
        }
        using (doc)
        {
            var pairs = new List<ContrastivePair>();
            var index = 0;
            foreach (var entry in doc.RootElement.EnumerateArray())
            {
                var where = $"{path}, entry {index++}";
                if (entry.ValueKind != JsonValueKind.Object)
                    throw new SteerException(ErrorKind.InvalidArgument, $"{where}: expected an object with question, answer_matching_behavior and answer_not_matching_behavior");
                var question = Text(entry, "question", where);
                pairs.Add(new ContrastivePair(
                    Join(question, Text(entry, "answer_matching_behavior", where)),
                    Join(question, Text(entry, "answer_not_matching_behavior", where))));
            }
            return pairs;
        }
    }

    /// <summary>The question, a space (as CAA's prompts put one between the question and "(A)"), and the answer.</summary>
    private static string Join(string question, string answer) =>
        question.Length == 0 || char.IsWhiteSpace(question[^1]) ? question + answer : question + " " + answer;

    private static string Text(JsonElement element, string name, string where) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw new SteerException(ErrorKind.InvalidArgument,
                element.TryGetProperty(name, out _) ? $"{where}: \"{name}\" must be a string" : $"{where}: \"{name}\" is missing");
}
