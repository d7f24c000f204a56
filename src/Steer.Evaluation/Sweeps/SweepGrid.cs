using System.Globalization;
using System.Text.RegularExpressions;
using Steer.Sharding;

namespace Steer.Evaluation.Sweeps;

/// <summary>The layers and coefficients a sweep visits: every layer with every coefficient.</summary>
public sealed partial record SweepGrid(IReadOnlyList<int> Layers, IReadOnlyList<double> Coeffs)
{
    public int Count => Layers.Count * Coeffs.Count;

    /// <summary>Every layer × coefficient in the order a sweep measures them: every coefficient of the first layer, then the next layer.</summary>
    public IReadOnlyList<(int Layer, double Coeff)> Cells => Layers.SelectMany(layer => Coeffs.Select(coeff => (layer, coeff))).ToList();

    /// <summary>
    /// The cells <paramref name="shard"/> measures: a run of <see cref="Cells"/> in order, so that a shard builds the
    /// vectors of few layers, the runs balanced by cost. <paramref name="layerCosts"/> holds a cell's cost at each of
    /// <see cref="Layers"/> (<see cref="ISweepMetric.CellCost"/>).
    /// </summary>
    public IReadOnlyList<(int Layer, double Coeff)> CellsOf(Shard shard, IReadOnlyList<double> layerCosts)
    {
        if (layerCosts.Count != Layers.Count || layerCosts.Any(c => !double.IsFinite(c) || c < 0))
            throw new ArgumentException($"one finite cost of 0 or more per layer: {Layers.Count} layers, {layerCosts.Count} costs", nameof(layerCosts));
        var costOf = Layers.Zip(layerCosts).ToDictionary();
        var cells = Cells;
        var (start, length) = shard.Range(cells.Select(c => costOf[c.Layer]).ToList());
        return cells.Skip(start).Take(length).ToList();
    }

    /// <summary>A cell's cost at each of <see cref="Layers"/>, as <paramref name="metric"/> estimates it.</summary>
    public IReadOnlyList<double> LayerCosts(ISweepMetric metric) => Layers.Select(metric.CellCost).ToList();

    /// <summary>"A..B" (inclusive) or a comma-separated list such as "0,4,8".</summary>
    public static IReadOnlyList<int> ParseLayers(string spec)
    {
        var range = LayerRange().Match(spec.Trim());
        if (range.Success)
        {
            var (from, to) = (int.Parse(range.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(range.Groups[2].Value, CultureInfo.InvariantCulture));
            return from <= to ? Enumerable.Range(from, to - from + 1).ToList()
                : throw new SteerException(ErrorKind.InvalidArgument, $"--layers \"{spec}\": the range runs backwards; write {to}..{from}");
        }
        var layers = Items(spec, "--layers", "A..B or a list such as 0,4,8",
            item => int.TryParse(item, NumberStyles.Integer, CultureInfo.InvariantCulture, out var layer) && layer >= 0 ? layer : (int?)null);
        return Distinct(layers, "--layers", spec);
    }

    /// <summary>A comma-separated list such as "0,0.5,1", or "linspace(a,b,n)": n evenly spaced values from a to b inclusive.</summary>
    public static IReadOnlyList<double> ParseCoefficients(string spec)
    {
        var linspace = Linspace().Match(spec.Replace(" ", ""));
        if (linspace.Success)
        {
            if (!TryNumber(linspace.Groups[1].Value, out var a) || !TryNumber(linspace.Groups[2].Value, out var b)
                || !int.TryParse(linspace.Groups[3].Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) || n < 1)
                throw new SteerException(ErrorKind.InvalidArgument, $"--coeffs \"{spec}\": expected linspace(a,b,n) with finite a and b and n >= 1");
            return Distinct(LinearlySpaced(a, b, n), "--coeffs", spec);
        }
        var coeffs = Items(spec, "--coeffs", "a list such as 0,0.5,1 or linspace(a,b,n)", item => TryNumber(item, out var c) ? c : (double?)null);
        return Distinct(coeffs, "--coeffs", spec);
    }

    /// <summary>n values from a to b inclusive, each computed as a + i·(b − a)/(n − 1) (numpy's linspace).</summary>
    public static double[] LinearlySpaced(double a, double b, int n) =>
        n == 1 ? [a] : Enumerable.Range(0, n).Select(i => i == n - 1 ? b : a + i * (b - a) / (n - 1)).ToArray();

    private static bool TryNumber(string text, out double value) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);

    private static List<T> Items<T>(string spec, string option, string expected, Func<string, T?> parse) where T : struct
    {
        var items = spec.Split(',', StringSplitOptions.TrimEntries);
        var values = items.Select(parse).ToList();
        if (items.Length == 0 || values.Any(v => v is null))
            throw new SteerException(ErrorKind.InvalidArgument, $"{option} \"{spec}\": expected {expected}");
        return values.Select(v => v!.Value).ToList();
    }

    private static IReadOnlyList<T> Distinct<T>(IReadOnlyList<T> values, string option, string spec) =>
        values.Distinct().Count() == values.Count ? values
            : throw new SteerException(ErrorKind.InvalidArgument, $"{option} \"{spec}\": a value is given twice");

    [GeneratedRegex(@"^(\d+)\s*\.\.\s*(\d+)$")]
    private static partial Regex LayerRange();

    [GeneratedRegex(@"^linspace\(([^,]+),([^,]+),([^,]+)\)$", RegexOptions.IgnoreCase)]
    private static partial Regex Linspace();
}
