using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Steer.Sharding;

namespace Steer.Evaluation.Sweeps;

/// <summary>
/// What one shard of a sweep measured (<see cref="Result"/> holds its cells' rows only), with the sweep's full
/// definition and a fingerprint of everything its numbers depend on, so that a merge can tell shards of one sweep
/// from another's.
/// </summary>
/// <param name="LayerCosts">A cell's cost at each layer of the grid, which decides how cells are split over shards.</param>
/// <param name="Settings">What was swept and how, as the report shows it.</param>
/// <param name="JsonSettings">The same as results.json stores it (<see cref="Reports.SweepFiles.SettingsElement"/>).</param>
public sealed record SweepShardFile(Shard Shard, IReadOnlyList<double> LayerCosts, string Fingerprint, IReadOnlyList<KeyValuePair<string, string>> Settings,
    JsonElement JsonSettings, SweepResult Result)
{
    public const string Format = "steer-sweep-shard";
    public const int Version = 2;
    public const string Stem = "sweep-shard";

    public string FileName => Shard.FileName(Stem);

    /// <summary>
    /// SHA-256 over the sweep's definition (metric, grid, topics, settings) and <paramref name="inputs"/>: what the
    /// settings only summarise (the model's identity, the texts' content, prompt ids, steering and metric options).
    /// </summary>
    public static string FingerprintOf(SweepResult result, IReadOnlyList<double> layerCosts, IEnumerable<KeyValuePair<string, string>> settings,
        JsonElement jsonSettings, IEnumerable<string> inputs)
    {
        var text = new StringBuilder();
        void Add(string field, object value) => text.Append(field).Append('=').Append(value).Append('\n');
        Add("metric", result.Metric);
        Add("value", result.ValueColumn);
        Add("columns", string.Join('\u001f', result.Columns));
        Add("layers", string.Join(',', result.Grid.Layers));
        Add("coeffs", string.Join(',', result.Grid.Coeffs.Select(c => c.ToString("R", CultureInfo.InvariantCulture))));
        Add("topics", string.Join('\u001f', result.Topics));
        Add("layer_costs", string.Join(',', layerCosts.Select(Exact)));
        foreach (var (key, value) in settings) Add("setting." + key, value);
        Add("json_settings", jsonSettings.GetRawText());
        foreach (var input in inputs) Add("input", input);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    /// <summary>A SHA-256 of texts, for <see cref="FingerprintOf"/>'s inputs.</summary>
    public static string HashOf(IEnumerable<string> texts) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\u001e', texts))));

    /// <summary>Writes <see cref="FileName"/> into <paramref name="directory"/> (created when missing), by a rename, so that a reader never sees half a file.</summary>
    public string Write(string directory)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, FileName);
        var temporary = path + ".partial";
        using (var stream = File.Create(temporary))
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            WriteTo(writer);
        File.Move(temporary, path, overwrite: true);
        return path;
    }

    private void WriteTo(Utf8JsonWriter writer)
    {
        var result = Result;
        writer.WriteStartObject();
        writer.WriteString("format", Format);
        writer.WriteNumber("version", Version);
        writer.WriteNumber("shard", Shard.Index);
        writer.WriteNumber("shards", Shard.Count);
        writer.WriteString("fingerprint", Fingerprint);
        Strings(writer, "layer_costs", LayerCosts.Select(Exact));
        writer.WriteString("metric", result.Metric);
        writer.WriteString("value", result.ValueColumn);
        writer.WriteString("label", result.ValueLabel);
        Strings(writer, "columns", result.Columns);
        writer.WriteStartArray("layers");
        foreach (var layer in result.Grid.Layers) writer.WriteNumberValue(layer);
        writer.WriteEndArray();
        Strings(writer, "coeffs", result.Grid.Coeffs.Select(Exact));
        Strings(writer, "topics", result.Topics);
        writer.WriteStartObject("baselines");
        foreach (var topic in result.Topics) writer.WriteString(topic, Exact(result.Baselines[topic]));
        writer.WriteEndObject();
        writer.WriteStartArray("settings");
        foreach (var (key, value) in Settings) Strings(writer, null, [key, value]);
        writer.WriteEndArray();
        writer.WritePropertyName("json_settings");
        JsonSettings.WriteTo(writer);
        writer.WriteNumber("elapsed_s", result.Elapsed.TotalSeconds);
        writer.WriteStartArray("rows");
        foreach (var row in result.Rows)
        {
            writer.WriteStartArray();
            writer.WriteNumberValue(row.Layer);
            writer.WriteStringValue(Exact(row.Coeff));
            writer.WriteStringValue(row.Topic);
            foreach (var column in result.Columns) writer.WriteStringValue(Tagged(row.Values[column]));
            writer.WriteEndArray();
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static void Strings(Utf8JsonWriter writer, string? name, IEnumerable<string> values)
    {
        if (name is null) writer.WriteStartArray();
        else writer.WriteStartArray(name);
        foreach (var value in values) writer.WriteStringValue(value);
        writer.WriteEndArray();
    }

    // Doubles travel as round-trip strings (NaN and infinities included) and every value keeps its type, so that a
    // merged sweep formats each cell as the unsharded sweep does.
    private static string Exact(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static string Tagged(object value) => value switch
    {
        double d => "d:" + Exact(d),
        int i => "i:" + i.ToString(CultureInfo.InvariantCulture),
        long l => "l:" + l.ToString(CultureInfo.InvariantCulture),
        string s => "s:" + s,
        _ => throw new InvalidOperationException($"a sweep value of type {value.GetType().Name} cannot be stored in a shard file"),
    };

    /// <summary>Reads a shard file; anything that is not one, or is damaged, throws a <see cref="SteerException"/> naming the file.</summary>
    public static SweepShardFile Read(string path)
    {
        if (!File.Exists(path)) throw new SteerException(ErrorKind.NotFound, $"no sweep shard file at {path}");
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            return Parse(document.RootElement);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or KeyNotFoundException
            or OverflowException or ArgumentException or IndexOutOfRangeException)
        {
            throw new SteerException(ErrorKind.InvalidModel, $"{path} is not a readable sweep shard file ({e.Message})");
        }
        catch (SteerException e)
        {
            throw new SteerException(e.Kind, $"{path}: {e.Message}");
        }
    }

    private static SweepShardFile Parse(JsonElement root)
    {
        if (root.GetProperty("format").GetString() != Format)
            throw new FormatException($"\"format\" is not \"{Format}\"");
        if (root.GetProperty("version").GetInt32() != Version)
            throw new FormatException($"version {root.GetProperty("version").GetInt32()} is not {Version}, the one this Steer reads");
        var shard = new Shard(root.GetProperty("shard").GetInt32(), root.GetProperty("shards").GetInt32());
        var columns = StringsOf(root.GetProperty("columns"));
        var grid = new SweepGrid(root.GetProperty("layers").EnumerateArray().Select(l => l.GetInt32()).ToList(),
            StringsOf(root.GetProperty("coeffs")).Select(ParseExact).ToList());
        var topics = StringsOf(root.GetProperty("topics"));
        var baselines = root.GetProperty("baselines");
        var rows = root.GetProperty("rows").EnumerateArray().Select(row =>
        {
            var cells = row.EnumerateArray().ToList();
            if (cells.Count != 3 + columns.Count) throw new FormatException($"a row has {cells.Count} values, not {3 + columns.Count}");
            var values = columns.Select((c, i) => KeyValuePair.Create(c, Untagged(cells[3 + i].GetString()!))).ToDictionary();
            return new SweepRow(cells[0].GetInt32(), ParseExact(cells[1].GetString()!), cells[2].GetString()!, values);
        }).ToList();
        var result = new SweepResult(root.GetProperty("metric").GetString()!, root.GetProperty("value").GetString()!,
            root.GetProperty("label").GetString()!, columns, grid, topics,
            topics.ToDictionary(t => t, t => ParseExact(baselines.GetProperty(t).GetString()!)), rows,
            TimeSpan.FromSeconds(root.GetProperty("elapsed_s").GetDouble()));
        var settings = root.GetProperty("settings").EnumerateArray().Select(pair => StringsOf(pair) is [var key, var value]
            ? KeyValuePair.Create(key, value) : throw new FormatException("a setting is not a [key, value] pair")).ToList();
        // Checked here, so that an edited file is refused as unreadable rather than failing the merge's split.
        var layerCosts = StringsOf(root.GetProperty("layer_costs")).Select(ParseExact).ToList();
        if (layerCosts.Count != grid.Layers.Count || layerCosts.Any(c => !double.IsFinite(c) || c < 0))
            throw new FormatException($"\"layer_costs\" needs one finite cost of 0 or more for each of the {grid.Layers.Count} layers");
        return new SweepShardFile(shard, layerCosts, root.GetProperty("fingerprint").GetString()!, settings,
            root.GetProperty("json_settings").Clone(), result);
    }

    private static List<string> StringsOf(JsonElement array) => array.EnumerateArray().Select(e => e.GetString()!).ToList();

    private static double ParseExact(string text) => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);

    private static object Untagged(string text) => text.Length < 2 || text[1] != ':' ? throw new FormatException($"untagged value \"{text}\"")
        : text[0] switch
        {
            'd' => ParseExact(text[2..]),
            'i' => int.Parse(text[2..], NumberStyles.Integer, CultureInfo.InvariantCulture),
            'l' => long.Parse(text[2..], NumberStyles.Integer, CultureInfo.InvariantCulture),
            's' => text[2..],
            _ => throw new FormatException($"unknown value tag in \"{text}\""),
        };
}
