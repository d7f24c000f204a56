using Steer.Hub;

namespace Steer.IO;

/// <summary>
/// Where a model's files are. <paramref name="WeightFiles"/> is either one model.safetensors or the
/// shards named by model.safetensors.index.json, in the order they first appear there.
/// </summary>
public sealed record ModelFiles(string Directory, string ConfigPath, IReadOnlyList<string> WeightFiles, string DisplayName);

/// <summary>Turns what the user passed as --model (a directory, a file, or a Hub id, downloaded when needed) into concrete files.</summary>
public static class ModelLocator
{
    private const string ConfigName = "config.json";
    private const string WeightsName = "model.safetensors";
    private const string IndexName = "model.safetensors.index.json";

    /// <summary>Extensions of PyTorch pickle checkpoints, which are refused rather than loaded.</summary>
    private static readonly string[] PickleExtensions = [".bin", ".pt", ".ckpt", ".pth"];

    /// <param name="hub">How to reach the Hub for a model id; null reads the environment (HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE, ...).</param>
    public static ModelFiles Resolve(string model, string revision = "main", HubOptions? hub = null)
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

        return FromHub(model, revision, hub);
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

    private static ModelFiles FromHub(string model, string revision, HubOptions? hub)
    {
        if (!HubCache.IsValidRepoId(model))
            throw new SteerException(ErrorKind.InvalidArgument,
                $"'{model}' is not an existing file or directory, nor a Hugging Face model id ('name' or 'org/name').");

        // Downloads on demand, or finds the cached copy (offline, or when the Hub cannot be reached).
        var snapshot = HubDownloader.Download(model, revision, hub);
        return FromDirectory(snapshot.Directory, snapshot.RepoId);
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

    /// <summary>The shards named by the index, in order, each verified to exist next to it.</summary>
    private static List<string> ReadShards(string directory, string index)
    {
        var shards = ShardIndex.FileNames(index).Select(file => Path.Combine(directory, file)).ToList();
        foreach (var shard in shards)
        {
            if (!File.Exists(shard))
                throw new SteerException(ErrorKind.InvalidModel,
                    $"Shard '{Path.GetFileName(shard)}' listed in '{index}' is missing from '{directory}'; the download is incomplete.");
        }
        return shards;
    }

    private static string? FindPickle(string directory) =>
        Directory.EnumerateFiles(directory)
            .Where(f => PickleExtensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal)
            .FirstOrDefault();

    internal static SteerException PickleRefused(string path) => new(ErrorKind.InvalidModel,
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
