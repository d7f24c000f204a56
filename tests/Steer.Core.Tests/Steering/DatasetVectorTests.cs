using Steer.Hooks;
using Steer.Steering;
using Steer.Steering.Datasets;
using Steer.Steering.Methods;
using Steer.Tests.IO;
using static TorchSharp.torch;

namespace Steer.Tests.Steering;

/// <summary>
/// CAA and PCA vectors from a dataset, checked against activations read one text at a time (no batching, no padding)
/// and, for PCA, against an eigendecomposition of the covariance (another algorithm than the SVD the code uses).
/// </summary>
public sealed class DatasetVectorTests(GoldenModelFixture models) : IClassFixture<GoldenModelFixture>
{
    private static readonly ContrastivePair[] Pairs =
    [
        new("I love this, it is wonderful", "I hate this, it is awful"),
        new("What a great day", "What a terrible day"),
        new("She was happy and smiling", "She was sad and crying"),
        new("Good", "Bad news again, as always"),
        new("The food was delicious", "The food was disgusting"),
    ];

    private LanguageModel Model => models["formula-g1.json"];

    /// <summary>Each text's last-token activation at <paramref name="hook"/>, read alone: [2·pairs, d_model] in float64.</summary>
    private double[][] Unbatched(string hook) =>
        Pairs.SelectMany(p => new[] { p.Positive, p.Negative }).Select(text =>
        {
            using var cache = Model.ReadActivations(Model.Tokenizer.Encode(text), [hook]);
            return cache[hook][0, -1].to(ScalarType.Float64).data<double>().ToArray();
        }).ToArray();

    [Fact]
    public void Caa_is_the_mean_of_the_pairs_differences_read_one_text_at_a_time()
    {
        // Arrange
        var hook = HookNames.ResidPost(1);
        var h = Unbatched(hook);
        var d = Model.Shape.ModelDim;
        var expected = Enumerable.Range(0, d).Select(j => Enumerable.Range(0, Pairs.Length).Average(i => h[2 * i][j] - h[2 * i + 1][j])).ToArray();

        // Act: batches of 3 texts, so rows are left-padded.
        var vector = DatasetVectors.Train(Model, Pairs, new DatasetVectorOptions { Layers = [1], BatchSize = 3 });

        // Assert
        var component = vector.Components.ShouldHaveSingleItem();
        (component.HookPoint, component.Mode, component.Positions).ShouldBe((hook, PositionMode.All, 1));
        var scale = expected.Max(Math.Abs);
        for (var j = 0; j < d; j++) Math.Abs(component.Values[j] - expected[j]).ShouldBeLessThan(1e-5 * scale, $"dimension {j}");
        vector.Metadata.Properties["method"].ShouldBe("caa");
    }

    [Theory]
    [InlineData(VectorMethod.PcaDiff)]
    [InlineData(VectorMethod.PcaCenter)]
    public void Pca_is_the_top_eigenvector_of_the_centred_covariance_signed_so_positives_project_higher(VectorMethod method)
    {
        // Arrange: the training rows as repeng builds them, then the covariance's top eigenvector by eigh.
        var hook = HookNames.ResidPost(0);
        var h = Unbatched(hook);
        using var scope = NewDisposeScope();
        var all = tensor(h.SelectMany(r => r).ToArray(), [Pairs.Length, 2, h[0].Length], ScalarType.Float64);
        var train = method == VectorMethod.PcaDiff
            ? all.select(1, 0) - all.select(1, 1)
            : (all - all.mean([1], keepdim: true)).reshape(2 * Pairs.Length, -1);
        var centred = train - train.mean([0], keepdim: true);
        var (eigenvalues, eigenvectors) = linalg.eigh(centred.t().matmul(centred));      // ascending
        var top = eigenvectors.select(1, -1);
        var ratio = (eigenvalues[-1] / eigenvalues.sum()).item<double>();

        // Act
        var vector = DatasetVectors.Train(Model, Pairs, new DatasetVectorOptions { Method = method, Layers = [0], BatchSize = 4 });

        // Assert
        var direction = tensor(vector.Components.Single().Values).to(ScalarType.Float64);
        direction.norm().item<double>().ShouldBe(1, 1e-5);
        Math.Abs(direction.dot(top).item<double>()).ShouldBe(1, 1e-5);
        var higher = (all.select(1, 0).matmul(direction) > all.select(1, 1).matmul(direction)).sum().item<long>();
        higher.ShouldBeGreaterThanOrEqualTo(Pairs.Length - higher, "the sign makes most positives project higher");
        double.Parse(vector.Metadata.Properties[$"explained_variance.{hook}"], System.Globalization.CultureInfo.InvariantCulture).ShouldBe(ratio, 1e-6);
    }

    [Fact]
    public void The_sign_rule_flips_a_direction_on_which_positives_project_lower()
    {
        // Three pairs in 2-D whose differences lie along ±x: positives are higher on +x in two of three pairs.
        float[] rows = [1, 0, 0, 0, /**/ 2, 1, 0, 1, /**/ 0, 5, 3, 5];

        var (direction, _) = DatasetVectors.Compute(rows, pairs: 3, d: 2, VectorMethod.PcaDiff);

        direction[0].ShouldBeGreaterThan(0.99f);
    }

    [Fact]
    public void Mean_token_reduction_leaves_bos_out()
    {
        // Arrange: one pair, read at block 0's input (the embeddings), where the mean is easy to compute by hand.
        var hook = HookNames.ResidPre(0);
        var pair = new ContrastivePair("I love it", "I hate it");
        float[] Mean(string text)
        {
            using var cache = Model.ReadActivations(Model.Tokenizer.Encode(text), [hook]);
            return cache[hook][0].narrow(0, 1, cache[hook].shape[1] - 1).mean([0]).data<float>().ToArray();
        }
        var expected = Mean(pair.Positive).Zip(Mean(pair.Negative), (a, b) => a - b).ToArray();

        // Act
        var vector = DatasetVectors.Train(Model, [pair], new DatasetVectorOptions { Layers = [0], Residual = "resid_pre", Token = TokenReduction.Mean });

        // Assert
        vector.Components.Single().Values.Zip(expected, (a, b) => Math.Abs(a - b)).Max().ShouldBeLessThan(1e-6f);
    }

    [Fact]
    public void Bad_options_are_refused()
    {
        Should.Throw<SteerException>(() => DatasetVectors.Train(Model, [])).Message.ShouldContain("no pairs");
        Should.Throw<SteerException>(() => DatasetVectors.Train(Model, [Pairs[0]], new DatasetVectorOptions { Method = VectorMethod.PcaDiff }))
            .Message.ShouldContain("at least 2 pairs");
        Should.Throw<SteerException>(() => DatasetVectors.Train(Model, Pairs, new DatasetVectorOptions { Layers = [2] }))
            .Message.ShouldContain("layer 2 is out of range");
        Should.Throw<SteerException>(() => DatasetVectors.Train(Model, Pairs, new DatasetVectorOptions { Residual = "attn_out" }))
            .Message.ShouldContain("use resid_pre, resid_mid or resid_post");
    }
}

public sealed class ContrastiveDatasetTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private string Write(string text)
    {
        var path = _directory.File("data.jsonl");
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void Jsonl_pairs_are_read_line_by_line_skipping_blank_lines()
    {
        var path = Write("{\"positive\": \"a\", \"negative\": \"b\"}\n\n{\"negative\": \"d\", \"positive\": \"c\"}\n");

        ContrastiveDataset.Load(path).ShouldBe([new ContrastivePair("a", "b"), new ContrastivePair("c", "d")]);
    }

    [Fact]
    public void Caa_answer_pairs_put_the_answer_after_the_question()
    {
        var path = Write("""[{"question": "Is it good?\n\nChoices:\n (A) Yes\n (B) No", "answer_matching_behavior": "(A)", "answer_not_matching_behavior": "(B)"}]""");

        ContrastiveDataset.Load(path).ShouldBe([new ContrastivePair("Is it good?\n\nChoices:\n (A) Yes\n (B) No (A)", "Is it good?\n\nChoices:\n (A) Yes\n (B) No (B)")]);
    }

    [Theory]
    [InlineData("{\"positive\": \"a\", \"negative\": \"b\"}\n{\"positive\": \"a\"}", "line 2: \"negative\" is missing")]
    [InlineData("{\"positive\": \"a\", \"negative\": 3}", "line 1: \"negative\" must be a string")]
    [InlineData("{\"positive\": \"a\", \"negative\": \"b\"}\nnot json", "line 2: not valid JSON")]
    [InlineData("[1, 2]", "entry 0: expected an object")]
    [InlineData("[{\"question\": \"q\", \"answer_matching_behavior\": \"(A)\"}]", "entry 0: \"answer_not_matching_behavior\" is missing")]
    [InlineData("\n\n", "the dataset has no pairs")]
    [InlineData("[]", "the dataset has no pairs")]
    public void Malformed_datasets_name_the_file_the_line_and_the_problem(string text, string message)
    {
        var path = Write(text);

        var error = Should.Throw<SteerException>(() => ContrastiveDataset.Load(path));

        error.Message.ShouldContain(message);
        error.Message.ShouldStartWith(path);
    }
}
