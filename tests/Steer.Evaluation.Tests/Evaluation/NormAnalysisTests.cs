using Steer.Evaluation;
using Steer.Hooks;
using Steer.Steering;
using Steer.Steering.Methods;
using Steer.Tests.Cli;

namespace Steer.Tests.Evaluation;

/// <summary>Steering-vector norms relative to the prompt's residual stream.</summary>
public sealed class NormAnalysisTests(CliModelFixture fixture) : IClassFixture<CliModelFixture>
{
    private LanguageModel Model => fixture.Model;

    [Fact]
    public void A_pair_adds_nothing_at_BOS_and_the_ratio_is_the_vector_norm_over_the_residual_norm()
    {
        // Arrange
        var ids = Model.Tokenizer.Encode("I think you're");
        var (logits, cache) = Model.RunWithCache(ids, [HookNames.ResidPre(1)]);
        double[] residNorms;
        using (logits)
        using (cache)
            residNorms = cache[HookNames.ResidPre(1)].squeeze(0).norm(1).to(TorchSharp.torch.ScalarType.Float64).data<double>().ToArray();
        var vector = ActAdd.Pair(Model, "Anger", "Calm", 1, 1);

        // Act
        var layers = NormAnalysis.Measure(Model, ids, layer => ActAdd.Pair(Model, "Anger", "Calm", layer, 1));

        // Assert
        layers.Select(l => l.Layer).ShouldBe([0, 1]);
        var layer1 = layers[1];
        layer1.Ratios.Count.ShouldBe(Math.Min(ids.Count, vector.Positions));
        layer1.Ratios[0].ShouldBe(0);
        var expected = vector.Components[0].PositionNorms();
        for (var p = 1; p < layer1.Ratios.Count; p++)
            layer1.Ratios[p].ShouldBe(expected[p] / residNorms[p], 1e-4 * layer1.Ratios[p]);
    }

    [Fact]
    public void Centring_removes_each_vector_mean_before_the_norm()
    {
        // Arrange
        var ids = Model.Tokenizer.Encode("I think you're");
        var vector = ActAdd.Pair(Model, "Anger", "Calm", 1, 1);
        var row = vector.Components[0].Row(1).ToArray();
        var mean = row.Average(v => (double)v);
        var centred = Math.Sqrt(row.Sum(v => (v - mean) * (v - mean)));

        // Act
        var layers = NormAnalysis.Measure(Model, ids, _ => vector, center: true, layers: [1]);

        // Assert
        layers.Single().SteeringNorms[1].ShouldBe(centred, 1e-6 * centred);
    }
}
