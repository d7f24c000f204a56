using Steer.Hooks;
using static TorchSharp.torch;

namespace Steer.Tests.Parity;

/// <summary>
/// The formula models reproduce reference values from an independent float64 GPT-2 with Hugging Face
/// semantics. Tolerances from TestData/README.md: logits and log-probs 1e-4 absolute, residuals 1e-5
/// relative to their norm.
/// </summary>
public sealed class ForwardParityTests(GoldenModelFixture models) : IClassFixture<GoldenModelFixture>
{
    internal const double LogitTolerance = 1e-4;
    internal const double ResidualRelativeTolerance = 1e-5;

    public static IEnumerable<object[]> LogitCases => GoldenCase.All("logits");
    public static IEnumerable<object[]> ResidCases => GoldenCase.All("resid");

    [Theory]
    [MemberData(nameof(LogitCases))]
    internal void Logits_match_the_reference(GoldenCase c)
    {
        // Arrange
        var model = models[c.File];

        // Act
        using var logits = model.Logits(c.Ids);                    // [pos, vocab]
        var score = model.Score(c.Ids);

        // Assert
        AssertLogits(logits, score.TokenLogprobs, c.Json);
    }

    /// <summary>Checks a reference block (token_logprobs, last-position top-5, first 16 logits, sums) against logits [pos, vocab].</summary>
    internal static void AssertLogits(Tensor logits, IReadOnlyList<double> tokenLogprobs, System.Text.Json.JsonElement expected)
    {
        double[] Expected(string property) => Array(expected, property);
        var last = logits[-1].to(ScalarType.Float64).data<double>().ToArray();
        AssertClose(tokenLogprobs.ToArray(), Expected("token_logprobs"), LogitTolerance, "token_logprobs");
        AssertClose(last.Take(16).ToArray(), Expected("last_logits_first16"), LogitTolerance, "last_logits_first16");
        var top5 = last.Select((v, i) => (v, i)).OrderByDescending(p => p.v).Take(5).ToArray();
        top5.Select(p => p.i).ShouldBe(expected.GetProperty("last_top5_ids").EnumerateArray().Select(e => e.GetInt32()));
        AssertClose(top5.Select(p => p.v).ToArray(), Expected("last_top5_logits"), LogitTolerance, "last_top5_logits");
        var logZ = LogSumExp(last);
        AssertClose(top5.Select(p => p.v - logZ).ToArray(), Expected("last_logprobs_top5"), LogitTolerance, "last_logprobs_top5");
        // Sums over 50,257 logits: independent float32 round-off of ~1e-5 each adds up to ~1e-3.
        last.Sum().ShouldBe(expected.GetProperty("last_logits_sum").GetDouble(), 1e-2);
        var sumsq = expected.GetProperty("last_logits_sumsq").GetDouble();
        last.Sum(v => v * v).ShouldBe(sumsq, sumsq * 1e-5);
    }

    [Theory]
    [MemberData(nameof(ResidCases))]
    internal void Residual_stream_matches_the_reference(GoldenCase c)
    {
        // Arrange
        var model = models[c.File];
        var layers = c.Json.GetProperty("layers").EnumerateObject().ToList();
        var names = layers.Select(l => ResidName(model, int.Parse(l.Name))).ToList();

        // Act
        var (logits, cache) = model.RunWithCache(c.Ids, names);
        using var _ = logits;
        using var __ = cache;

        // Assert
        foreach (var (layer, name) in layers.Zip(names))
        {
            var resid = cache[name].squeeze(0).to(ScalarType.Float64);          // [pos, d_model]
            var norms = resid.norm(1).data<double>().ToArray();
            var expectedNorms = Array(layer.Value, "position_norms");
            var tolerance = ResidualRelativeTolerance * expectedNorms.Max();
            AssertClose(norms, expectedNorms, tolerance, $"{name} norms");
            var centered = (resid - resid.mean([1], keepdim: true)).norm(1).data<double>().ToArray();
            AssertClose(centered, Array(layer.Value, "centered_position_norms"), tolerance, $"{name} centered norms");
            AssertClose(resid[-1].narrow(0, 0, 8).data<double>().ToArray(), Array(layer.Value, "last_row_first8"), tolerance, $"{name} last row");
        }
    }

    /// <summary>Layer L = n_layer means the input of ln_f, which is the last block's output.</summary>
    private static string ResidName(LanguageModel model, int layer) =>
        layer < model.Shape.Layers ? HookNames.ResidPre(layer) : HookNames.ResidPost(layer - 1);

    internal static double[] Array(System.Text.Json.JsonElement e, string property) =>
        e.GetProperty(property).EnumerateArray().Select(x => x.GetDouble()).ToArray();

    private static double LogSumExp(double[] values)
    {
        var max = values.Max();
        return max + Math.Log(values.Sum(v => Math.Exp(v - max)));
    }

    internal static void AssertClose(double[] actual, double[] expected, double tolerance, string what)
    {
        actual.Length.ShouldBe(expected.Length, what);
        for (var i = 0; i < expected.Length; i++)
            Math.Abs(actual[i] - expected[i]).ShouldBeLessThanOrEqualTo(tolerance, $"{what}[{i}]: {actual[i]} vs {expected[i]}");
    }
}
