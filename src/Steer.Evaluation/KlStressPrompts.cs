using System.Text.Json;

namespace Steer.Evaluation;

/// <summary>The prompts of the KL stress test (<see cref="KlStressTest"/>): the built-in set or a file.</summary>
public static class KlStressPrompts
{
    /// <summary>
    /// 54 prompts written for Steer (everyday, news, fiction, code, questions, lists; from 4 to about 25 GPT-2 tokens
    /// with BOS), standing in for the post's <c>scripts/prompts.txt</c>.
    /// </summary>
    public static IReadOnlyList<string> BuiltIn()
    {
        using var stream = typeof(KlStressPrompts).Assembly.GetManifestResourceStream("Steer.Evaluation.kl-prompts.txt")
            ?? throw new SteerException(ErrorKind.Environment, "the built-in KL prompts are missing from Steer.Evaluation");
        using var reader = new StreamReader(stream);
        return FromLines(reader.ReadToEnd().Split('\n'));
    }

    /// <summary>
    /// A <c>.jsonl</c> (or <c>.ndjson</c>) file holds one object per line with a "prompt" or "text" string; any other file
    /// holds one prompt per line. Blank lines are skipped in both; a file without a prompt is refused.
    /// </summary>
    public static IReadOnlyList<string> FromFile(string path)
    {
        if (!File.Exists(path)) throw new SteerException(ErrorKind.NotFound, $"{path}: no such prompt file");
        var lines = File.ReadAllLines(path);
        var extension = Path.GetExtension(path).ToLowerInvariant();
        var prompts = extension is ".jsonl" or ".ndjson" ? FromJsonLines(path, lines) : FromLines(lines);
        return prompts.Count > 0 ? prompts
            : throw new SteerException(ErrorKind.InvalidArgument, $"{path}: no prompts in the file (one per line, blank lines skipped)");
    }

    /// <summary>The non-blank lines, without a trailing carriage return.</summary>
    public static IReadOnlyList<string> FromLines(IEnumerable<string> lines) =>
        lines.Select(line => line.TrimEnd('\r')).Where(line => !string.IsNullOrWhiteSpace(line)).ToList();

    private static List<string> FromJsonLines(string path, IReadOnlyList<string> lines)
    {
        var prompts = new List<string>();
        for (var i = 0; i < lines.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i])) continue;
            string? prompt;
            try
            {
                using var document = JsonDocument.Parse(lines[i]);
                var root = document.RootElement;
                prompt = root.ValueKind != JsonValueKind.Object ? null
                    : root.TryGetProperty("prompt", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString()
                    : root.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()
                    : null;
            }
            catch (JsonException e)
            {
                throw new SteerException(ErrorKind.InvalidModel, $"{path}:{i + 1}: not a JSON line ({e.Message})");
            }
            if (string.IsNullOrWhiteSpace(prompt))
                throw new SteerException(ErrorKind.InvalidModel, $"{path}:{i + 1}: expected an object with a non-empty \"prompt\" or \"text\" string");
            prompts.Add(prompt);
        }
        return prompts;
    }

    /// <summary>The contiguous run of prompts <paramref name="shard"/> measures, balanced by length, and the index of its first.</summary>
    public static (int First, IReadOnlyList<string> Prompts) ShardOf(IReadOnlyList<string> prompts, Steer.Sharding.Shard shard)
    {
        var (start, length) = shard.Range(prompts.Select(p => (double)p.Length + 1).ToList());
        return (start, prompts.Skip(start).Take(length).ToList());
    }
}
