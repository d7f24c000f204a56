using System.Text.Json;

namespace Steer.IO;

/// <summary>
/// Where a model's files are. <paramref name="WeightFiles"/> is either one model.safetensors or the
/// shards named by model.safetensors.index.json, in the order they first appear there.
/// </summary>
public sealed record ModelFiles(string Directory, string ConfigPath, IReadOnlyList<string> WeightFiles, string DisplayName);

/// <summary>Turns what the user passed as --model (a directory, a file, or a Hub id) into concrete files.</summary>
public static class ModelLocator
{
    private const string ConfigName = "config.json";
    private const string WeightsName = "model.safetensors";
    private const string IndexName = "model.safetensors.index.json";

    /// <summary>Extensions of PyTorch pickle checkpoints, which are refused rather than loaded.</summary>
    private static readonly string[] PickleExtensions = [".bin", ".pt", ".ckpt", ".pth"];

    public static ModelFiles Resolve(string model, string revision = "main")
    {
        if (string.IsNullOrWhiteSpace(model))
            throw new SteerException(ErrorKind.InvalidArgument, "No model given: pass a model directory, a .safetensors file or a Hugging Face id.");

        model = HubCache.ExpandHome(model);
        if (Directory.Exists(model))
        {
            var directory = Path.TrimEndingDirectorySeparator(Path.GetFullPath(model));
            return FromDirectory(directory, directory);
        }

        if (File.Exists(model))
            return FromFile(Path.GetFullPath(model));

        if (LooksLikePath(model))
            throw new SteerException(ErrorKind.NotFound, $"Model path '{model}' does not exist.");

        return FromHub(model, revision);
    }

    private static ModelFiles FromFile(string path)
    {
        var extension = Path.GetExtension(path);
        if (PickleExtensions.Contains(extension, StringComparer.OrdinalIgnoreCase))
            throw PickleRefused(path);
        if (!extension.Equals(".safetensors", StringComparison.OrdinalIgnoreCase))
            throw new SteerException(ErrorKind.InvalidArgument,
                $"'{path}' is neither a model directory nor a .safetensors file.");

        var directory = Path.GetDirectoryName(path)!;
        return new ModelFiles(directory, RequireConfig(directory), [path], directory);
    }

    private static ModelFiles FromHub(string model, string revision)
    {
        if (!HubCache.IsValidRepoId(model))
            throw new SteerException(ErrorKind.InvalidArgument,
                $"'{model}' is not an existing file or directory, nor a Hugging Face model id ('name' or 'org/name').");

        var id = HubCache.CanonicalId(model);
        // huggingface_hub names the cache folder after the id as the user typed it, so "gpt2" downloaded
        // before (or without) the openai-community rename lives under models--gpt2: try both.
        var snapshot = HubCache.FindSnapshot(id, revision)
            ?? (id != model ? HubCache.FindSnapshot(model, revision) : null);
        if (snapshot is null)
            throw new SteerException(ErrorKind.NotFound,
                $"Model '{id}' (revision '{revision}') is not in the local Hugging Face cache at '{HubCache.Root()}', " +
                "and downloading is not available yet. Pass a local directory containing config.json and model.safetensors instead.");
        return FromDirectory(snapshot, id);
    }

    private static ModelFiles FromDirectory(string directory, string displayName)
    {
        var single = Path.Combine(directory, WeightsName);
        var index = Path.Combine(directory, IndexName);
        var hasSafetensors = File.Exists(single) || File.Exists(index);

        // Checked before config.json: for a PyTorch-only checkpoint the useful message is how to convert it.
        if (!hasSafetensors && FindPickle(directory) is { } pickle)
            throw PickleRefused(pickle);

        var config = RequireConfig(directory);
        if (File.Exists(single))
            return new ModelFiles(directory, config, [single], displayName);
        if (File.Exists(index))
            return new ModelFiles(directory, config, ReadShards(directory, index), displayName);
        throw new SteerException(ErrorKind.NotFound,
            $"Model directory '{directory}' contains neither {WeightsName} nor {IndexName}.");
    }

    private static string RequireConfig(string directory)
    {
        var config = Path.Combine(directory, ConfigName);
        if (!File.Exists(config))
            throw new SteerException(ErrorKind.NotFound, $"Model directory '{directory}' has no {ConfigName}.");
        return config;
    }

    /// <summary>The distinct weight_map values, in order, each verified to exist next to the index.</summary>
    private static List<string> ReadShards(string directory, string index)
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

            var shards = new List<string>();
            foreach (var entry in map.EnumerateObject())
            {
                var file = entry.Value.ValueKind == JsonValueKind.String ? entry.Value.GetString()! : "";
                // Shard names come from a downloaded file; refusing separators keeps every read inside the model directory.
                if (file.Length == 0 || file != Path.GetFileName(file) || file is "." or ".." || file.Contains('\\'))
                    throw new SteerException(ErrorKind.InvalidModel,
                        $"Shard index '{index}' maps tensor '{entry.Name}' to '{entry.Value.GetRawText()}', which is not a file name.");
                var path = Path.Combine(directory, file);
                if (!shards.Contains(path)) shards.Add(path);
            }

            if (shards.Count == 0)
                throw new SteerException(ErrorKind.InvalidModel, $"Shard index '{index}' lists no weight files.");
            foreach (var shard in shards)
            {
                if (!File.Exists(shard))
                    throw new SteerException(ErrorKind.InvalidModel,
                        $"Shard '{Path.GetFileName(shard)}' listed in '{index}' is missing from '{directory}'; the download is incomplete.");
            }
            return shards;
        }
    }

    private static string? FindPickle(string directory) =>
        Directory.EnumerateFiles(directory)
            .Where(f => PickleExtensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal)
            .FirstOrDefault();

    private static SteerException PickleRefused(string path) => new(ErrorKind.InvalidModel,
        $"'{path}' is a PyTorch pickle checkpoint. Steer never unpickles, because loading a pickle can execute " +
        "arbitrary code. Convert the model to safetensors first, e.g. with Hugging Face's safetensors convert script " +
        "(https://huggingface.co/spaces/safetensors/convert) or model.save_pretrained(dir, safe_serialization=True) " +
        "in transformers, then pass the directory holding config.json and model.safetensors.");

    /// <summary>
    /// Inputs that can only be paths: a missing path is then reported as not found rather than as a
    /// malformed Hub id, which would be a confusing message for a typo in a directory name.
    /// </summary>
    private static bool LooksLikePath(string model) =>
        Path.IsPathRooted(model)
        || model.StartsWith("./", StringComparison.Ordinal) || model.StartsWith("../", StringComparison.Ordinal)
        || model.StartsWith('~') || model.Contains('\\')
        || model.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase)
        || PickleExtensions.Any(e => model.EndsWith(e, StringComparison.OrdinalIgnoreCase));
}
