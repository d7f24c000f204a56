using System.Text.Json;

namespace Steer.IO;

/// <summary>Reads model.safetensors.index.json, the file that says which shard holds each tensor.</summary>
internal static class ShardIndex
{
    /// <summary>The distinct weight_map values, in the order they first appear, each a plain file name.</summary>
    public static List<string> FileNames(string index)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllBytes(index));
        }
        catch (JsonException e)
        {
            throw new SteerException(ErrorKind.InvalidModel, $"Shard index '{index}' is not valid JSON ({e.Message}).");
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
                throw new SteerException(ErrorKind.InvalidModel, $"Shard index '{index}' has no weight_map object.");
            if (UntrustedJson.UnreadableString(map) is { } problem)
                throw new SteerException(ErrorKind.InvalidModel, $"Shard index '{index}' is not valid JSON: {problem}.");

            var names = new List<string>();
            foreach (var entry in map.EnumerateObject())
            {
                var file = entry.Value.ValueKind == JsonValueKind.String ? entry.Value.GetString()! : "";
                // Shard names come from a downloaded file; refusing separators keeps every read (and every
                // download) inside the model directory.
                if (file.Length == 0 || file != Path.GetFileName(file) || file is "." or ".." || file.Contains('\\'))
                    throw new SteerException(ErrorKind.InvalidModel,
                        $"Shard index '{index}' maps tensor '{entry.Name}' to '{entry.Value.GetRawText()}', which is not a file name.");
                if (!names.Contains(file)) names.Add(file);
            }

            if (names.Count == 0)
                throw new SteerException(ErrorKind.InvalidModel, $"Shard index '{index}' lists no weight files.");
            return names;
        }
    }
}
