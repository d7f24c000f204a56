using Steer.Evaluation;
using Steer.Hooks;
using Steer.Steering;
using static TorchSharp.torch;

namespace Steer.Tests.Evaluation;

public sealed class VectorAnalysisTests(GoldenModelFixture models) : IClassFixture<GoldenModelFixture>
{
    private LanguageModel Model => models["formula-g1.json"];

    private float[] EmbeddingRow(int id, float scale) =>
        Model.Transformer.Unembedding[id].to(ScalarType.Float32).data<float>().Select(v => v * scale).ToArray();

    [Fact]
    public void The_logit_lens_of_a_tokens_own_embedding_puts_that_token_first()
    {
        // Arrange: W_U is the tied embedding, so W_U·e_id is largest at id (|e_id|² against near-zero dot products).
        var vector = new SteeringVector([SteeringComponent.Row(HookNames.ResidPost(1), EmbeddingRow(5465, 10))]);

        // Act
        var report = VectorAnalysis.Analyze(vector, Model);

        // Assert
        var component = report.Components.Single();
        component.Top[0].Id.ShouldBe(5465);
        component.Top[0].Text.ShouldBe(" hate");
        component.Top.Count.ShouldBe(10);
        component.Bottom.Select(t => t.Score).ShouldBeInOrder(SortDirection.Ascending);
        component.Top[0].Score.ShouldBeGreaterThan(component.Top[1].Score);
    }

    [Fact]
    public void Relative_norm_is_the_mean_position_norm_over_the_mean_residual_norm_without_bos()
    {
        // Arrange
        var hook = HookNames.ResidPost(0);
        var vector = new SteeringVector([SteeringComponent.Row(hook, EmbeddingRow(40, 3))]);
        var ids = Model.Tokenizer.Encode(VectorAnalysis.ReferenceText);
        double residNorm;
        using (var cache = Model.ReadActivations(ids, [hook]))
            residNorm = cache[hook][0].narrow(0, 1, ids.Count - 1).norm(1).mean().item<float>();

        // Act
        var component = VectorAnalysis.Analyze(vector, Model).Components.Single();

        // Assert
        component.Norm.ShouldBe(vector.Components[0].Norm(), 1e-9);
        component.RelativeNorm!.Value.ShouldBe(component.Norm / residNorm, 1e-5 * component.Norm / residNorm);
    }

    [Fact]
    public void Cosines_compare_components_and_files_and_need_no_model()
    {
        var row = EmbeddingRow(40, 1);
        var vector = new SteeringVector(
        [
            SteeringComponent.Row(HookNames.ResidPost(0), row),
            SteeringComponent.Row(HookNames.ResidPost(1), row.Select(v => -2 * v).ToArray()),
        ]);

        var report = VectorAnalysis.Analyze(vector, model: null, compare: vector * 3);

        report.Cosines[0][1].ShouldBe(-1, 1e-9);
        report.Cosines[1][1].ShouldBe(1, 1e-9);
        report.Compared.Values.ShouldAllBe(c => Math.Abs(c - 1) < 1e-9);
        report.Components.ShouldAllBe(c => c.RelativeNorm == null && c.Top.Count == 0);
    }
}
