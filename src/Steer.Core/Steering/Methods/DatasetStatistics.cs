using System.Globalization;
using System.Text.Json;
using Steer.IO;
using static TorchSharp.torch;

namespace Steer.Steering.Methods;

/// <summary>
/// What <see cref="DatasetVectors.FromStatistics"/> needs of a run of a dataset's pairs, so that shards of a dataset can
/// be read by separate processes and joined: for CAA, the sum over the pairs of h(positive) − h(negative) per hook point
/// (float64); for PCA, the activations themselves, [2·pairs, d_model] per hook point (a principal component and
/// repeng's sign rule need every pair, and the rows are smaller than a d_model² covariance for fewer than d_model/2 pairs).
/// </summary>
public sealed record DatasetStatistics(VectorMethod Method, TokenReduction Token, int Pairs, int ModelDim, IReadOnlyList<string> HookPoints,
    IReadOnlyDictionary<string, double[]> DifferenceSums, IReadOnlyDictionary<string, float[]> Rows)
{
    public const string Format = "steer-vector-shard";

    /// <summary>Writes the statistics as safetensors, with <paramref name="metadata"/> (shard, fingerprint, model) beside Steer's own keys.</summary>
    public void Save(string path, IReadOnlyDictionary<string, string> metadata)
    {
        using var scope = NewDisposeScope();
        var tensors = HookPoints.Select(hook => Method == VectorMethod.Caa
            ? ($"difference_sum.{hook}", tensor(DifferenceSums[hook], [ModelDim], ScalarType.Float64))
            : ($"rows.{hook}", tensor(Rows[hook], [2L * Pairs, ModelDim], ScalarType.Float32))).ToList();
        var all = new Dictionary<string, string>(metadata)
        {
            ["format"] = Format,
            ["method"] = DatasetVectors.MethodName(Method),
            ["token"] = Token.ToString().ToLowerInvariant(),
            ["pairs"] = Pairs.ToString(CultureInfo.InvariantCulture),
            ["hook_points"] = JsonSerializer.Serialize(HookPoints),
        };
        SafetensorsWriter.Write(path + ".partial", tensors, all);
        File.Move(path + ".partial", path, overwrite: true);
    }

    /// <summary>Reads what <see cref="Save"/> wrote, and its metadata; anything else is refused in words.</summary>
    public static (DatasetStatistics Statistics, IReadOnlyDictionary<string, string> Metadata) Load(string path)
    {
        using var file = SafetensorsFile.Open(path);
        var metadata = file.Metadata;
        string Field(string key) => metadata.TryGetValue(key, out var value) ? value
            : throw new SteerException(ErrorKind.InvalidModel, $"{path}: not a vector shard file (no \"{key}\" in its metadata)");
        if (Field("format") != Format) throw new SteerException(ErrorKind.InvalidModel, $"{path}: not a vector shard file (format \"{metadata["format"]}\")");
        var method = DatasetVectors.ParseMethod(Field("method"));
        var token = Field("token") == "mean" ? TokenReduction.Mean : TokenReduction.Last;
        if (!int.TryParse(Field("pairs"), NumberStyles.None, CultureInfo.InvariantCulture, out var pairs))
            throw new SteerException(ErrorKind.InvalidModel, $"{path}: \"pairs\" is not a count");
        var hooks = JsonSerializer.Deserialize<string[]>(Field("hook_points"))
            ?? throw new SteerException(ErrorKind.InvalidModel, $"{path}: no hook points");
        var sums = new Dictionary<string, double[]>();
        var rows = new Dictionary<string, float[]>();
        var modelDim = 0;
        using var scope = NewDisposeScope();
        foreach (var hook in hooks)
        {
            var name = method == VectorMethod.Caa ? $"difference_sum.{hook}" : $"rows.{hook}";
            var entry = file.Find(name) ?? throw new SteerException(ErrorKind.InvalidModel, $"{path}: no tensor {name}");
            var values = file.Read(entry);
            modelDim = (int)values.shape[^1];
            var expected = method == VectorMethod.Caa ? new long[] { modelDim } : [2L * pairs, modelDim];
            if (!values.shape.SequenceEqual(expected))
                throw new SteerException(ErrorKind.InvalidModel, $"{path}: {name} has shape [{string.Join(", ", values.shape)}], not [{string.Join(", ", expected)}]");
            if (method == VectorMethod.Caa) sums[hook] = values.to(ScalarType.Float64).data<double>().ToArray();
            else rows[hook] = values.to(ScalarType.Float32).data<float>().ToArray();
        }
        return (new DatasetStatistics(method, token, pairs, modelDim, hooks, sums, rows), metadata);
    }
}
