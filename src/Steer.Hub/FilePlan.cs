using Steer.IO;

namespace Steer.Hub;

/// <summary>
/// Which files of a repository Steer fetches: config.json, the safetensors weights (one file, or the index and
/// then the shards it names), and the tokenizer files that exist. Never pickles (.bin), .h5, .msgpack or ONNX.
/// </summary>
internal static class FilePlan
{
    public const string Config = "config.json";
    public const string Weights = "model.safetensors";
    public const string Index = "model.safetensors.index.json";

    /// <summary>Tokenizer and generation files, fetched when the repository has them.</summary>
    private static readonly string[] Optional =
        ["tokenizer.json", "vocab.json", "merges.txt", "tokenizer_config.json", "special_tokens_map.json", "generation_config.json", "chat_template.jinja"];

    /// <summary>
    /// The files to fetch, in order; with a sharded checkpoint the shards are not included yet, since they are
    /// known only from the index (<see cref="Shards"/>).
    /// </summary>
    public static List<string> Select(string repoId, IReadOnlyCollection<string> repoFiles)
    {
        var has = repoFiles.ToHashSet(StringComparer.Ordinal);
        if (!has.Contains(Weights) && !has.Contains(Index))
        {
            // The same advice as for a local directory, for the same reason: loading a pickle can run code.
            var pickle = repoFiles.Where(f => Path.GetExtension(f) is ".bin" or ".pt" or ".ckpt" or ".pth").Order(StringComparer.Ordinal).FirstOrDefault();
            if (pickle is not null)
                throw ModelFiles.PickleRefused($"{repoId}/{pickle}");
            throw new SteerException(ErrorKind.InvalidModel,
                $"Model '{repoId}' has neither {Weights} nor {Index}; Steer loads safetensors weights only.");
        }
        if (!has.Contains(Config))
            throw new SteerException(ErrorKind.InvalidModel, $"Model '{repoId}' has no {Config}, so it is not a transformers model Steer can load.");

        return [Config, has.Contains(Weights) ? Weights : Index, .. Optional.Where(has.Contains)];
    }

    /// <summary>The shards a downloaded index names, each checked to be a file the repository has.</summary>
    public static List<string> Shards(string repoId, string indexPath, IReadOnlyCollection<string> repoFiles)
    {
        var shards = ShardIndex.FileNames(indexPath);
        foreach (var shard in shards)
        {
            if (!repoFiles.Contains(shard))
                throw new SteerException(ErrorKind.InvalidModel, $"The {Index} of '{repoId}' names shard '{shard}', which the repository does not have.");
        }
        return shards;
    }
}
