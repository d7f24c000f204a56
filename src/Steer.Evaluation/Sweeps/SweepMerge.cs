using System.Text.RegularExpressions;
using Steer.Sharding;

namespace Steer.Evaluation.Sweeps;

/// <summary>
/// Joins the shard files of one sweep into the result one process would have measured. Shards hold runs of the
/// grid's cells in order, so their rows, in shard order, are the sweep's rows in its order.
/// </summary>
public static partial class SweepMerge
{
    /// <summary>The shard files in <paramref name="directories"/> (each a directory of shard files, or one shard file), sorted by name.</summary>
    public static IReadOnlyList<string> Find(IReadOnlyList<string> directories)
    {
        var files = new List<string>();
        foreach (var directory in directories)
        {
            if (File.Exists(directory)) files.Add(directory);
            else if (Directory.Exists(directory))
            {
                var found = Directory.EnumerateFiles(directory).Where(f => ShardName().IsMatch(Path.GetFileName(f))).ToList();
                if (found.Count == 0)
                    throw new SteerException(ErrorKind.NotFound, $"{directory} holds no sweep shard files ({SweepShardFile.Stem}-I-of-N.json)");
                files.AddRange(found);
            }
            else throw new SteerException(ErrorKind.NotFound, $"no such directory: {directory}");
        }
        return files.Select(Path.GetFullPath).Distinct().Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// Checks that <paramref name="shards"/> are the N shards of one sweep, each once, and merges them. The merged
    /// file is the sweep as shard 0/1: every row, the baselines of shard 0, the summed measuring time.
    /// </summary>
    public static SweepShardFile Merge(IReadOnlyList<(string Path, SweepShardFile File)> shards)
    {
        if (shards.Count == 0) throw new SteerException(ErrorKind.NotFound, "no sweep shard files to merge");
        var (firstPath, first) = shards[0];
        foreach (var (path, shard) in shards.Skip(1))
            if (shard.Fingerprint != first.Fingerprint || shard.Shard.Count != first.Shard.Count)
                throw new SteerException(ErrorKind.InvalidArgument,
                    $"{path} belongs to another sweep than {firstPath}: " + (shard.Shard.Count != first.Shard.Count
                        ? $"it is one of {shard.Shard.Count} shards, not {first.Shard.Count}"
                        : $"fingerprint {shard.Fingerprint[..12]}… against {first.Fingerprint[..12]}… (another model, other texts, grid or options)"));
        var count = first.Shard.Count;
        var byIndex = new SweepShardFile[count];
        var paths = new string[count];
        foreach (var (path, shard) in shards)
        {
            var index = shard.Shard.Index;
            if (byIndex[index] is not null)
                throw new SteerException(ErrorKind.InvalidArgument, $"shard {shard.Shard} is given twice: {paths[index]} and {path}");
            (byIndex[index], paths[index]) = (shard, path);
        }
        var missing = Enumerable.Range(0, count).Where(i => byIndex[i] is null).ToList();
        if (missing.Count > 0)
            throw new SteerException(ErrorKind.NotFound,
                $"{(missing.Count == 1 ? "shard" : "shards")} {string.Join(", ", missing.Select(i => new Shard(i, count).ToString()))} of this sweep " +
                $"{(missing.Count == 1 ? "is" : "are")} missing ({string.Join(", ", missing.Select(i => new Shard(i, count).FileName(SweepShardFile.Stem)))}); " +
                $"run them with --shard I/{count}, or check the directories given");
        for (var i = 0; i < count; i++) CheckCells(byIndex[i], paths[i]);
        var result = first.Result with
        {
            Rows = byIndex.SelectMany(s => s.Result.Rows).ToList(),
            Elapsed = byIndex.Aggregate(TimeSpan.Zero, (sum, s) => sum + s.Result.Elapsed),
            Baselines = byIndex[0].Result.Baselines,
        };
        return first with { Shard = Shard.Whole, Result = result };
    }

    /// <summary>A shard's rows must be those of the cells its index takes, each cell with a row per topic, in order.</summary>
    private static void CheckCells(SweepShardFile shard, string path)
    {
        var result = shard.Result;
        var expected = result.Grid.CellsOf(shard.Shard, shard.ModelLayers)
            .SelectMany(cell => result.Topics.Select(topic => (cell.Layer, cell.Coeff, topic))).ToList();
        var actual = result.Rows.Select(r => (r.Layer, r.Coeff, r.Topic)).ToList();
        if (!expected.SequenceEqual(actual))
            throw new SteerException(ErrorKind.InvalidModel,
                $"{path} does not hold the rows of shard {shard.Shard}: {actual.Count} rows where its {expected.Count / Math.Max(1, result.Topics.Count)} cells " +
                $"× {result.Topics.Count} topic(s) need {expected.Count} (an incomplete or edited file)");
    }

    [GeneratedRegex(@"^sweep-shard-\d{4,}-of-\d{4,}\.json$")]
    private static partial Regex ShardName();
}
