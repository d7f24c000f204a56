using System.Text.Encodings.Web;
using System.Text.Json;
using Steer.Sharding;

namespace Steer.Evaluation.Sharding;

/// <summary>
/// What one shard of an evaluation (<c>steer eval perplexity|wordcount --shard I/N</c>) measured: <see cref="Header"/>,
/// the same in every shard (model, steering, options), and <see cref="Data"/>, its part of the measurements. The
/// fingerprint covers everything the numbers depend on, so that a merge can refuse a shard of another evaluation.
/// </summary>
public sealed record EvalShardFile(string Metric, Shard Shard, string Fingerprint, JsonElement Header, JsonElement Data)
{
    public const string Format = "steer-eval-shard";
    public const int Version = 1;
    public const string Stem = "eval-shard";

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
        WriteIndented = true,
    };

    public string FileName => Shard.FileName(Stem);

    public static JsonElement ToElement(object value) => JsonSerializer.SerializeToElement(value, JsonOptions);

    /// <summary>The header as the record it was written from (<see cref="ToElement"/>).</summary>
    public T HeaderAs<T>() => Header.Deserialize<T>(JsonOptions)
        ?? throw new SteerException(ErrorKind.InvalidModel, "an evaluation shard file has an empty header");

    /// <summary>Writes <see cref="FileName"/> into <paramref name="directory"/> (created when missing), by a rename.</summary>
    public string Write(string directory)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, FileName);
        File.WriteAllText(path + ".partial", JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["format"] = Format,
            ["version"] = Version,
            ["metric"] = Metric,
            ["shard"] = Shard.Index,
            ["shards"] = Shard.Count,
            ["fingerprint"] = Fingerprint,
            ["header"] = Header,
            ["data"] = Data,
        }, JsonOptions));
        File.Move(path + ".partial", path, overwrite: true);
        return path;
    }

    public static EvalShardFile Read(string path)
    {
        if (!File.Exists(path)) throw new SteerException(ErrorKind.NotFound, $"no evaluation shard file at {path}");
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = document.RootElement;
            if (root.GetProperty("format").GetString() != Format) throw new FormatException($"\"format\" is not \"{Format}\"");
            if (root.GetProperty("version").GetInt32() != Version) throw new FormatException($"version is not {Version}, the one this Steer reads");
            return new EvalShardFile(root.GetProperty("metric").GetString()!, new Shard(root.GetProperty("shard").GetInt32(), root.GetProperty("shards").GetInt32()),
                root.GetProperty("fingerprint").GetString()!, root.GetProperty("header").Clone(), root.GetProperty("data").Clone());
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or KeyNotFoundException or SteerException)
        {
            throw new SteerException(ErrorKind.InvalidModel, $"{path} is not a readable evaluation shard file ({e.Message})");
        }
    }

    public static IReadOnlyList<string> Find(IReadOnlyList<string> paths) => ShardFiles.Find(paths, Stem, "evaluation");

    /// <summary>Checks that <paramref name="shards"/> are the N shards of one evaluation, each once, and returns them in shard order.</summary>
    public static IReadOnlyList<EvalShardFile> InOrder(IReadOnlyList<(string Path, EvalShardFile File)> shards) =>
        ShardFiles.InOrder(shards, s => s.Shard, (first, other) => other.Metric != first.Metric ? $"{other.Metric}, not {first.Metric}"
            : ShardFiles.FingerprintDiffers(first.Fingerprint, other.Fingerprint, "another model, other texts or options"), Stem, "evaluation");
}
