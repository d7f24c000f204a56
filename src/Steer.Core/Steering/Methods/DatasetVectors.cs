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
        IProgress<int>? progress = null, CancellationToken cancellation = default)
    {
        options ??= new DatasetVectorOptions();
        if (pairs.Count == 0) throw new SteerException(ErrorKind.InvalidArgument, "the dataset has no pairs");
        if (options.Method != VectorMethod.Caa && pairs.Count < 2)
            throw new SteerException(ErrorKind.InvalidArgument, "a principal component needs at least 2 pairs");
        if (options.BatchSize < 1) throw new SteerException(ErrorKind.InvalidArgument, $"the batch size must be positive, got {options.BatchSize}");
        var hookPoints = HookPoints(model, options);
        var texts = pairs.SelectMany(p => new[] { model.Tokenizer.Encode(p.Positive), model.Tokenizer.Encode(p.Negative) }).ToList();
        var rows = DatasetActivations.Read(model, texts, hookPoints, options.Token, skipFirst: model.Tokenizer.BosId is not null,
            options.BatchSize, progress, cancellation);
        var properties = new Dictionary<string, string>
        {
            ["method"] = MethodName(options.Method),
            ["token"] = options.Token.ToString().ToLowerInvariant(),
            ["pairs"] = pairs.Count.ToString(CultureInfo.InvariantCulture),
        };
        var components = new List<SteeringComponent>();
        foreach (var hook in hookPoints)
        {
            var (direction, explained) = Compute(rows[hook], pairs.Count, model.Shape.ModelDim, options.Method);
            components.Add(SteeringComponent.Row(hook, direction));
            if (explained is { } ratio) properties[$"explained_variance.{hook}"] = ratio.ToString("R", CultureInfo.InvariantCulture);
        }
        return new SteeringVector(components, new SteeringMetadata { Model = model.Name, Properties = properties });
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
