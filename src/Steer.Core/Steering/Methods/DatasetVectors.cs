using System.Globalization;
using Steer.Hooks;
using Steer.Steering.Datasets;
using TorchSharp;
using static TorchSharp.torch;

namespace Steer.Steering.Methods;

/// <summary>How a vector is made from a dataset of contrastive pairs.</summary>
public enum VectorMethod
{
    /// <summary>Contrastive activation addition (Rimsky et al. 2023): the mean over pairs of h(positive) − h(negative).</summary>
    Caa,
    /// <summary>repeng's pca_diff: the first principal component of the per-pair differences.</summary>
    PcaDiff,
    /// <summary>repeng's pca_center: the first principal component of the activations centred on each pair's mean.</summary>
    PcaCenter,
}

/// <summary>What <see cref="DatasetVectors.Train"/> reads and computes.</summary>
public sealed record DatasetVectorOptions
{
    public VectorMethod Method { get; init; } = VectorMethod.Caa;

    /// <summary>The blocks to make a vector at (one per block); null is every block.</summary>
    public IReadOnlyList<int>? Layers { get; init; }

    /// <summary>
    /// Which residual stream of each block: resid_post (repeng's and llama.cpp's point, the default), resid_pre or
    /// resid_mid.
    /// </summary>
    public string Residual { get; init; } = "resid_post";

    public TokenReduction Token { get; init; } = TokenReduction.Last;

    /// <summary>Texts per forward pass.</summary>
    public int BatchSize { get; init; } = 32;
}

/// <summary>
/// Steering vectors from datasets, repeng-style: one one-row vector per block, applied at every position by default.
/// CAA vectors keep their scale; PCA vectors are unit-norm (the coefficient gives the scale), their sign chosen so
/// that in most pairs the positive text projects higher than the negative (repeng's rule).
/// </summary>
public static class DatasetVectors
{
    public static SteeringVector Train(LanguageModel model, IReadOnlyList<ContrastivePair> pairs, DatasetVectorOptions? options = null,
        IProgress<int>? progress = null, CancellationToken cancellation = default) =>
        FromStatistics([Read(model, pairs, options, progress, cancellation)], model.Name);

    /// <summary>
    /// Runs the model over <paramref name="pairs"/> and keeps what the vector needs (<see cref="DatasetStatistics"/>);
    /// <see cref="FromStatistics"/> turns the statistics of one or several runs of pairs into the vector.
    /// </summary>
    public static DatasetStatistics Read(LanguageModel model, IReadOnlyList<ContrastivePair> pairs, DatasetVectorOptions? options = null,
        IProgress<int>? progress = null, CancellationToken cancellation = default)
    {
        options ??= new DatasetVectorOptions();
        if (options.BatchSize < 1) throw new SteerException(ErrorKind.InvalidArgument, $"the batch size must be positive, got {options.BatchSize}");
        var hookPoints = HookPoints(model, options);
        var d = model.Shape.ModelDim;
        var texts = pairs.SelectMany(p => new[] { model.Tokenizer.Encode(p.Positive), model.Tokenizer.Encode(p.Negative) }).ToList();
        var rows = pairs.Count == 0 ? hookPoints.ToDictionary(h => h, _ => Array.Empty<float>())
            : DatasetActivations.Read(model, texts, hookPoints, options.Token, skipFirst: model.Tokenizer.BosId is not null, options.BatchSize, progress, cancellation);
        if (options.Method != VectorMethod.Caa)
            return new DatasetStatistics(options.Method, options.Token, pairs.Count, d, hookPoints, new Dictionary<string, double[]>(), rows);
        var sums = hookPoints.ToDictionary(hook => hook, hook =>
        {
            var sum = new double[d];
            var values = rows[hook];
            for (var p = 0; p < pairs.Count; p++)
                for (var i = 0; i < d; i++)
                    sum[i] += (double)values[2 * p * d + i] - values[(2 * p + 1) * d + i];
            return sum;
        });
        return new DatasetStatistics(options.Method, options.Token, pairs.Count, d, hookPoints, sums, new Dictionary<string, float[]>());
    }

    /// <summary>
    /// The vector from the statistics of consecutive runs of one dataset's pairs, in order (one run, or a run per shard):
    /// CAA divides the summed differences by the pairs; PCA takes the component of all the rows.
    /// </summary>
    public static SteeringVector FromStatistics(IReadOnlyList<DatasetStatistics> parts, string modelName)
    {
        if (parts.Count == 0) throw new SteerException(ErrorKind.InvalidArgument, "no dataset statistics to make a vector from");
        var first = parts[0];
        if (parts.Any(p => p.Method != first.Method || p.Token != first.Token || p.ModelDim != first.ModelDim || !p.HookPoints.SequenceEqual(first.HookPoints)))
            throw new SteerException(ErrorKind.InvalidArgument, "the statistics are of different methods, tokens, models or hook points");
        var pairs = parts.Sum(p => p.Pairs);
        if (pairs == 0) throw new SteerException(ErrorKind.InvalidArgument, "the dataset has no pairs");
        if (first.Method != VectorMethod.Caa && pairs < 2)
            throw new SteerException(ErrorKind.InvalidArgument, "a principal component needs at least 2 pairs");
        var properties = new Dictionary<string, string>
        {
            ["method"] = MethodName(first.Method),
            ["token"] = first.Token.ToString().ToLowerInvariant(),
            ["pairs"] = pairs.ToString(CultureInfo.InvariantCulture),
        };
        var components = new List<SteeringComponent>();
        foreach (var hook in first.HookPoints)
        {
            if (first.Method == VectorMethod.Caa)
            {
                var sum = new double[first.ModelDim];
                foreach (var part in parts)
                    for (var i = 0; i < sum.Length; i++) sum[i] += part.DifferenceSums[hook][i];
                components.Add(SteeringComponent.Row(hook, sum.Select(v => (float)(v / pairs)).ToArray()));
                continue;
            }
            var (direction, explained) = Compute(parts.SelectMany(p => p.Rows[hook]).ToArray(), pairs, first.ModelDim, first.Method);
            components.Add(SteeringComponent.Row(hook, direction));
            if (explained is { } ratio) properties[$"explained_variance.{hook}"] = ratio.ToString("R", CultureInfo.InvariantCulture);
        }
        return new SteeringVector(components, new SteeringMetadata { Model = modelName, Properties = properties });
    }

    public static string MethodName(VectorMethod method) => method switch
    {
        VectorMethod.Caa => "caa",
        VectorMethod.PcaDiff => "pca-diff",
        _ => "pca-center",
    };

    /// <summary>caa, pca-diff or pca-center.</summary>
    public static VectorMethod ParseMethod(string text) => text.ToLowerInvariant() switch
    {
        "caa" => VectorMethod.Caa,
        "pca-diff" => VectorMethod.PcaDiff,
        "pca-center" => VectorMethod.PcaCenter,
        _ => throw new SteerException(ErrorKind.InvalidArgument, $"method '{text}': use actadd, caa, pca-diff or pca-center"),
    };

    /// <summary>The hook points <see cref="Train"/> makes vectors at, checked against the model.</summary>
    public static IReadOnlyList<string> HookPoints(LanguageModel model, DatasetVectorOptions options)
    {
        var layers = options.Layers ?? Enumerable.Range(0, model.Shape.Layers).ToList();
        if (layers.Count == 0) throw new SteerException(ErrorKind.InvalidArgument, "no layers to make vectors at");
        return layers.Select(layer =>
        {
            if (layer < 0 || layer >= model.Shape.Layers)
                throw new SteerException(ErrorKind.InvalidArgument,
                    $"layer {layer} is out of range: this model has {model.Shape.Layers} layers, so valid layers are 0..{model.Shape.Layers - 1}");
            return options.Residual switch
            {
                "resid_post" => HookNames.ResidPost(layer),
                "resid_pre" => HookNames.ResidPre(layer),
                "resid_mid" => HookNames.ResidMid(layer),
                _ => throw new SteerException(ErrorKind.InvalidArgument, $"residual '{options.Residual}': use resid_pre, resid_mid or resid_post"),
            };
        }).Distinct().ToList();
    }

    /// <param name="rows">[2·pairs, d_model]: positive then negative text of each pair.</param>
    /// <returns>the vector, and for PCA the explained-variance ratio of its component</returns>
    internal static (float[] Vector, double? Explained) Compute(float[] rows, int pairs, int d, VectorMethod method)
    {
        using var scope = NewDisposeScope();
        var h = tensor(rows, [pairs, 2, d], ScalarType.Float32).to(ScalarType.Float64);   // [pairs, ±, d_model]
        var positive = h.select(1, 0);
        var negative = h.select(1, 1);
        if (method == VectorMethod.Caa)
            return ((positive - negative).mean([0]).to(ScalarType.Float32).data<float>().ToArray(), null);

        var train = method == VectorMethod.PcaDiff
            ? positive - negative                                                              // [pairs, d_model]
            : (h - h.mean([1], keepdim: true)).reshape(2 * pairs, d);                          // [2·pairs, d_model]
        // A principal component is a direction of the centred data, as scikit-learn's PCA (which repeng uses) centres it.
        var centred = train - train.mean([0], keepdim: true);
        var (_, s, vh) = linalg.svd(centred, fullMatrices: false);
        var direction = vh[0];                                                                 // [d_model], unit norm
        var variance = s.square();
        var total = variance.sum().item<double>();
        var explained = total > 0 ? variance[0].item<double>() / total : 0;
        // repeng's sign rule: in most pairs the positive text should project higher than the negative one.
        var higher = (positive.matmul(direction) > negative.matmul(direction)).sum().item<long>();
        var lower = (positive.matmul(direction) < negative.matmul(direction)).sum().item<long>();
        if (lower > higher) direction = -direction;
        return (direction.to(ScalarType.Float32).data<float>().ToArray(), explained);
    }
}
