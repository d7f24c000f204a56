namespace Steer.IO;

/// <summary>
/// Where a model's files are. <paramref name="WeightFiles"/> is either one model.safetensors or the
/// shards named by model.safetensors.index.json, in the order they first appear there.
/// </summary>
public sealed record ModelFiles(string Directory, string ConfigPath, IReadOnlyList<string> WeightFiles, string DisplayName)
{
    private const string ConfigName = "config.json";
    private const string WeightsName = "model.safetensors";
    private const string IndexName = "model.safetensors.index.json";

    /// <summary>Extensions of PyTorch pickle checkpoints, which are refused rather than loaded.</summary>
    internal static readonly string[] PickleExtensions = [".bin", ".pt", ".ckpt", ".pth"];

    /// <summary>The files of a local model: a directory, or one .safetensors file with config.json beside it.</summary>
    public static ModelFiles FromPath(string path)
    {
        if (string.IsNullOrWhiteSpace(path))
            throw new SteerException(ErrorKind.InvalidArgument, "No model given: pass a model directory or a .safetensors file.");
        if (System.IO.Directory.Exists(path))
        {
            var directory = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
            return FromDirectory(directory, directory);
        }
        if (File.Exists(path)) return FromFile(Path.GetFullPath(path));
        throw new SteerException(ErrorKind.NotFound, $"Model path '{path}' does not exist.");
    }

    /// <param name="displayName">How the model is named in output: its directory, or the Hub id it came from.</param>
    public static ModelFiles FromDirectory(string directory, string displayName)
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

    /// <summary>True for a name that can only be a path (a typo in it is "not found", not a malformed Hub id).</summary>
    public static bool LooksLikePath(string model) =>
        Path.IsPathRooted(model)
        || model.StartsWith("./", StringComparison.Ordinal) || model.StartsWith("../", StringComparison.Ordinal)
        || model.StartsWith('~') || model.Contains('\\')
        || model.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase)
        || PickleExtensions.Any(e => model.EndsWith(e, StringComparison.OrdinalIgnoreCase));

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
        System.IO.Directory.EnumerateFiles(directory)
            .Where(f => PickleExtensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal)
            .FirstOrDefault();

    internal static SteerException PickleRefused(string path) => new(ErrorKind.InvalidModel,
        $"'{path}' is a PyTorch pickle checkpoint. Steer never unpickles, because loading a pickle can execute " +
        "arbitrary code. Convert the model to safetensors first, e.g. with Hugging Face's safetensors convert script " +
        "(https://huggingface.co/spaces/safetensors/convert) or model.save_pretrained(dir, safe_serialization=True) " +
        "in transformers, then pass the directory holding config.json and model.safetensors.");
}
