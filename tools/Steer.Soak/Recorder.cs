using System.Globalization;

namespace Steer.Soak;

/// <summary>Counts outcomes and keeps latencies per request kind; thread-safe, as every worker records into it.</summary>
internal sealed class Recorder
{
    private readonly Lock gate = new();
    private readonly Dictionary<string, KindStats> kinds = new(StringComparer.Ordinal);
    private readonly List<string> failures = [];
    private readonly List<string> unexpected = [];
    private int total;

    public int Total { get { lock (gate) return total; } }

    public void Add(RequestKind kind, Outcome outcome, TimeSpan latency)
    {
        lock (gate)
        {
            total++;
            if (!kinds.TryGetValue(kind.Name, out var stats))
                kinds[kind.Name] = stats = new KindStats();
            stats.Latencies.Add(latency.TotalMilliseconds);
            stats.Labels[outcome.Label] = stats.Labels.GetValueOrDefault(outcome.Label) + 1;
            if (outcome.Failed)
                failures.Add($"{kind.Name}: {outcome.Problem ?? $"status {outcome.Status}"}");
            else if (!kind.IsExpected(outcome))
                unexpected.Add($"{kind.Name}: status {outcome.Status}");
        }
    }

    public IReadOnlyList<string> Failures { get { lock (gate) return [.. failures]; } }

    /// <summary>One line per kind: count, outcomes, p50 and p99 latency.</summary>
    public List<string> Table()
    {
        var lines = new List<string>();
        lock (gate)
        {
            lines.Add($"{"kind",-12} {"requests",8}  {"p50 ms",8} {"p99 ms",8}  statuses");
            foreach (var (name, stats) in kinds.OrderBy(k => k.Key, StringComparer.Ordinal))
            {
                stats.Latencies.Sort();
                var labels = string.Join(", ", stats.Labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}: {l.Value}"));
                lines.Add(string.Create(CultureInfo.InvariantCulture,
                    $"{name,-12} {stats.Latencies.Count,8}  {Percentile(stats.Latencies, 0.50),8:0} {Percentile(stats.Latencies, 0.99),8:0}  {labels}"));
            }
            var all = kinds.Values.SelectMany(k => k.Labels).GroupBy(l => l.Key, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal);
            lines.Add($"{"all",-12} {total,8}  {"",8} {"",8}  {string.Join(", ", all.Select(g => $"{g.Key}: {g.Sum(l => l.Value)}"))}");
            if (unexpected.Count > 0)
                lines.Add($"note: {unexpected.Count} unexpected (not failing) statuses, e.g. {string.Join("; ", unexpected.Distinct().Take(5))}");
        }
        return lines;
    }

    /// <summary>Nearest-rank percentile of a sorted list.</summary>
    private static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];

    private sealed class KindStats
    {
        public List<double> Latencies { get; } = [];

        public Dictionary<string, int> Labels { get; } = new(StringComparer.Ordinal);
    }
}
