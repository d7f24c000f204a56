using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Steer.Evaluation.Sweeps;

namespace Steer.Evaluation.Reports;

/// <summary>A sweep's tables: <c>results.csv</c> (one row per layer × coefficient × topic) and <c>results.json</c>.</summary>
public static class SweepFiles
{
    public const string CsvName = "results.csv";
    public const string JsonName = "results.json";

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
        WriteIndented = true,
    };

    /// <summary>The CSV header: layer, coeff, topic, then the metric's columns (for perplexity: ..., ratio).</summary>
    public static IReadOnlyList<string> Header(SweepResult result) => ["layer", "coeff", "topic", .. result.Columns];

    public static string Csv(SweepResult result)
    {
        var text = new StringBuilder();
        text.Append(string.Join(",", Header(result))).Append('\n');
        foreach (var row in result.Rows)
        {
            IEnumerable<object> cells = [row.Layer, row.Coeff, row.Topic, .. result.Columns.Select(c => row.Values[c])];
            text.Append(string.Join(",", cells.Select(Cell))).Append('\n');
        }
        return text.ToString();
    }

    /// <param name="settings">What was swept and how (model, steering, options), stored as "settings".</param>
    public static string Json(SweepResult result, object? settings, IEnumerable<string> files) => JsonSerializer.Serialize(new
    {
        metric = result.Metric,
        value = result.ValueColumn,
        layers = result.Grid.Layers,
        coeffs = result.Grid.Coeffs,
        topics = result.Topics,
        baselines = result.Topics.Select(t => new { topic = t, value = result.Baselines[t] }),
        settings,
        rows = result.Rows.Select(r => new Dictionary<string, object>
        {
            ["layer"] = r.Layer,
            ["coeff"] = r.Coeff,
            ["topic"] = r.Topic,
        }.Concat(result.Columns.Select(c => KeyValuePair.Create(c, r.Values[c]))).ToDictionary()),
        files,
    }, JsonOptions);

    /// <summary>
    /// Settings as the JSON results.json stores them. A sweep passes its settings through this before writing, and
    /// a shard file stores its result, so that a merge of shards writes the very bytes one process writes.
    /// </summary>
    public static JsonElement SettingsElement(object settings) => JsonSerializer.SerializeToElement(settings, JsonOptions);

    private static string Cell(object value) => value switch
    {
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => Quote(value.ToString() ?? ""),
    };

    /// <summary>
    /// RFC 4180: a field with a comma, quote or line break is quoted, with quotes doubled; so is one with an
    /// outer space (" wedding"), which some readers would trim.
    /// </summary>
    private static string Quote(string text) =>
        text.IndexOfAny([',', '"', '\n', '\r']) < 0 && text.Trim() == text ? text : "\"" + text.Replace("\"", "\"\"") + "\"";
}
