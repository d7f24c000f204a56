using System.Globalization;

namespace Steer.Sharding;

/// <summary>
/// Shard <see cref="Index"/> (counted from 0) of <see cref="Count"/>: the part of a job one process computes, e.g. one
/// task of a Slurm array or one pod of a Kubernetes Indexed Job. <c>0/1</c> is the whole job.
/// </summary>
public sealed record Shard
{
    public Shard(int index, int count)
    {
        if (count < 1) throw new SteerException(ErrorKind.InvalidArgument, $"a job needs at least one shard, got {count}");
        if (index < 0 || index >= count)
            throw new SteerException(ErrorKind.InvalidArgument,
                $"shard {index} of {count} does not exist: shards count from 0, so the last is {count - 1}/{count}");
        (Index, Count) = (index, count);
    }

    public int Index { get; }

    public int Count { get; }

    public static Shard Whole { get; } = new(0, 1);

    public bool IsWhole => Count == 1;

    /// <summary>"I/N", e.g. "3/16" (what Slurm's <c>$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT</c> gives).</summary>
    public static Shard Parse(string text, string option = "--shard")
    {
        var parts = text.Trim().Split('/');
        if (parts.Length != 2
            || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var index)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var count))
            throw new SteerException(ErrorKind.InvalidArgument, $"{option} '{text}': expected I/N, shard I (counted from 0) of N, e.g. 0/4");
        try
        {
            return new Shard(index, count);
        }
        catch (SteerException e)
        {
            throw new SteerException(ErrorKind.InvalidArgument, $"{option} '{text}': {e.Message}");
        }
    }

    /// <summary>A file name that sorts in shard order: <c>STEM-0003-of-0016.json</c>.</summary>
    public string FileName(string stem, string extension = "json") =>
        string.Create(CultureInfo.InvariantCulture, $"{stem}-{Index:D4}-of-{Count:D4}.{extension}");

    /// <summary>
    /// The contiguous run of items (given by their <paramref name="costs"/>) this shard takes, the runs as equal in total cost as a split
    /// in order allows: item i goes to the shard whose share of the total cost its cost's midpoint falls in.
    /// </summary>
    public (int Start, int Length) Range(IReadOnlyList<double> costs)
    {
        var total = costs.Sum();
        int start = -1, end = -1;
        var before = 0.0;
        for (var i = 0; i < costs.Count; i++)
        {
            var owner = total == 0 ? (int)((long)i * Count / costs.Count)
                : Math.Min(Count - 1, (int)Math.Floor((before + costs[i] / 2) / total * Count));
            before += costs[i];
            if (owner < Index) continue;
            if (owner > Index) break;
            if (start < 0) start = i;
            end = i + 1;
        }
        return start < 0 ? (0, 0) : (start, end - start);
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Index}/{Count}");
}
