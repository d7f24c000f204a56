using System.Text.RegularExpressions;

namespace Steer.Sharding;

/// <summary>Finding the shard files of a job (<c>STEM-I-of-N.json</c>) and checking that they are all of one job, each once.</summary>
public static class ShardFiles
{
    /// <summary>The shard files in <paramref name="paths"/> (directories of shard files, or the files), sorted by name.</summary>
    /// <param name="job">What the shards are of, for messages: "sweep", "evaluation".</param>
    public static IReadOnlyList<string> Find(IReadOnlyList<string> paths, string stem, string job, string extension = "json")
    {
        var name = new Regex($@"^{Regex.Escape(stem)}-\d{{4,}}-of-\d{{4,}}\.{Regex.Escape(extension)}$");
        var files = new List<string>();
        foreach (var path in paths)
        {
            if (File.Exists(path)) files.Add(path);
            else if (Directory.Exists(path))
            {
                var found = Directory.EnumerateFiles(path).Where(f => name.IsMatch(Path.GetFileName(f))).ToList();
                if (found.Count == 0) throw new SteerException(ErrorKind.NotFound, $"{path} holds no {job} shard files ({stem}-I-of-N.{extension})");
                files.AddRange(found);
            }
            else throw new SteerException(ErrorKind.NotFound, $"no such directory: {path}");
        }
        return files.Select(Path.GetFullPath).Distinct().Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// Checks that <paramref name="files"/> are the N shards of one job, each once, and returns them in shard order:
    /// a file of another job, one given twice or one missing is an error that names it.
    /// </summary>
    /// <param name="otherJob">Why a file is not of the same job as the first (null when it is).</param>
    public static IReadOnlyList<T> InOrder<T>(IReadOnlyList<(string Path, T File)> files, Func<T, Shard> shardOf, Func<T, T, string?> otherJob,
        string stem, string job, string extension = "json")
    {
        if (files.Count == 0) throw new SteerException(ErrorKind.NotFound, $"no {job} shard files to merge");
        var (firstPath, first) = files[0];
        var count = shardOf(first).Count;
        foreach (var (path, file) in files.Skip(1))
        {
            var reason = shardOf(file).Count != count ? $"it is one of {shardOf(file).Count} shards, not {count}" : otherJob(first, file);
            if (reason is not null) throw new SteerException(ErrorKind.InvalidArgument, $"{path} belongs to another {job} than {firstPath}: {reason}");
        }
        var byIndex = new (string Path, T File)?[count];
        foreach (var (path, file) in files)
        {
            var shard = shardOf(file);
            if (byIndex[shard.Index] is { } earlier)
                throw new SteerException(ErrorKind.InvalidArgument, $"shard {shard} is given twice: {earlier.Path} and {path}");
            byIndex[shard.Index] = (path, file);
        }
        var missing = Enumerable.Range(0, count).Where(i => byIndex[i] is null).Select(i => new Shard(i, count)).ToList();
        if (missing.Count > 0)
            throw new SteerException(ErrorKind.NotFound,
                $"{(missing.Count == 1 ? "shard" : "shards")} {string.Join(", ", missing)} of this {job} {(missing.Count == 1 ? "is" : "are")} missing " +
                $"({string.Join(", ", missing.Select(s => s.FileName(stem, extension)))}); run them with --shard I/{count}, or check the directories given");
        return byIndex.Select(f => f!.Value.File).ToList();
    }

    /// <summary>Why two fingerprints differ, for <see cref="InOrder{T}"/>.</summary>
    public static string? FingerprintDiffers(string first, string other, string inputs) =>
        first == other ? null : $"fingerprint {other[..Math.Min(12, other.Length)]}… against {first[..Math.Min(12, first.Length)]}… ({inputs})";
}
