using Steer.Sharding;

namespace Steer.Evaluation.Sweeps;

/// <summary>
/// Joins the shard files of one sweep into the result one process would have measured. Shards hold runs of the
/// grid's cells in order, so their rows, in shard order, are the sweep's rows in its order.
/// </summary>
public static class SweepMerge
{
    /// <summary>The shard files in <paramref name="directories"/> (each a directory of shard files, or one shard file), sorted by name.</summary>
    public static IReadOnlyList<string> Find(IReadOnlyList<string> directories) => ShardFiles.Find(directories, SweepShardFile.Stem, "sweep");

    /// <summary>
    /// Checks that <paramref name="shards"/> are the N shards of one sweep, each once, and merges them. The merged
    /// file is the sweep as shard 0/1: every row, the baselines of shard 0, the summed measuring time.
    /// </summary>
    public static SweepShardFile Merge(IReadOnlyList<(string Path, SweepShardFile File)> shards)
    {
        var byIndex = ShardFiles.InOrder(shards, s => s.Shard,
            (first, other) => ShardFiles.FingerprintDiffers(first.Fingerprint, other.Fingerprint, "another model, other texts, grid or options"),
            SweepShardFile.Stem, "sweep");
        var paths = shards.ToDictionary(s => s.File.Shard.Index, s => s.Path);
        for (var i = 0; i < byIndex.Count; i++) CheckCells(byIndex[i], paths[i]);
        var first = byIndex[0];
        var result = first.Result with
        {
            Rows = byIndex.SelectMany(s => s.Result.Rows).ToList(),
            Elapsed = byIndex.Aggregate(TimeSpan.Zero, (sum, s) => sum + s.Result.Elapsed),
        };
        return first with { Shard = Shard.Whole, Result = result };
    }

    /// <summary>A shard's rows must be those of the cells its index takes, each cell with a row per topic, in order.</summary>
    private static void CheckCells(SweepShardFile shard, string path)
    {
        var result = shard.Result;
        var expected = result.Grid.CellsOf(shard.Shard, shard.LayerCosts)
            .SelectMany(cell => result.Topics.Select(topic => (cell.Layer, cell.Coeff, topic))).ToList();
        var actual = result.Rows.Select(r => (r.Layer, r.Coeff, r.Topic)).ToList();
        if (!expected.SequenceEqual(actual))
            throw new SteerException(ErrorKind.InvalidModel,
                $"{path} does not hold the rows of shard {shard.Shard}: {actual.Count} rows where its {expected.Count / Math.Max(1, result.Topics.Count)} cells " +
                $"× {result.Topics.Count} topic(s) need {expected.Count} (an incomplete or edited file)");
    }
}
