using Steer.Generation;
using Steer.Hooks;
using Steer.Steering;
using Steer.Tests.IO;
using static TorchSharp.torch;

namespace Steer.Tests.Steering;

/// <summary>
/// Where a one-row vector reaches (every prompt position, every generated token, or both), ablation, and files that
/// keep a component's mode.
/// </summary>
public sealed class PositionModeTests(GoldenModelFixture models) : IClassFixture<GoldenModelFixture>
{
    private LanguageModel Model => models["formula-g1.json"];

    private static readonly int[] Prompt = [50256, 40, 5465, 345, 780];

    private SteeringVector Row(PositionMode mode, int layer = 1, float scale = 3f)
    {
        var values = Enumerable.Range(0, Model.Shape.ModelDim).Select(i => scale * MathF.Sin(i * 0.7f)).ToArray();
        return new SteeringVector([SteeringComponent.Row(HookNames.ResidPre(layer), values, mode)]);
    }

    /// <summary>Per forward pass (prompt, then each decoding step), how much the vector moved blocks.1.hook_resid_pre.</summary>
    private List<double> ChangePerPass(SteeringVector vector, SteeringOptions? options = null)
    {
        var hook = HookNames.ResidPre(1);
        var changes = new List<double>();
        Tensor? before = null;
        using var first = Model.Hooks.Add(hook, (x, _) => { before?.Dispose(); before = x.clone().DetachFromDisposeScope(); return null; });
        using var steering = Model.AddSteering(vector, options);
        using var last = Model.Hooks.Add(hook, (x, _) => { changes.Add((x - before!).abs().max().item<float>()); return null; });
        Model.Generate([Prompt], new GenerationOptions { MaxNewTokens = 4, Sampling = SamplingOptions.Greedy, StopAtEndOfText = false });
        before?.Dispose();
        return changes;
    }

    [Theory]
    [InlineData(PositionMode.All, true, true)]
    [InlineData(PositionMode.Prompt, true, false)]
    [InlineData(PositionMode.Generated, false, true)]
    public void A_one_row_vector_reaches_the_passes_its_mode_names(PositionMode mode, bool prompt, bool generated)
    {
        var changes = ChangePerPass(Row(mode));

        changes.Count.ShouldBe(4, "the prompt pass and three decoding steps (the fourth token needs no pass)");
        (changes[0] > 1).ShouldBe(prompt);
        changes.Skip(1).ShouldAllBe(c => (c > 1) == generated);
    }

    [Fact]
    public void A_front_vector_never_reaches_a_decoding_step()
    {
        var changes = ChangePerPass(Row(PositionMode.Front));

        changes[0].ShouldBeGreaterThan(1);
        changes.Skip(1).ShouldAllBe(c => c == 0);
    }

    [Fact]
    public void All_positions_steering_through_the_cache_equals_steering_the_whole_sequence_in_one_pass()
    {
        // Arrange
        var vector = Row(PositionMode.All);
        var generated = Model.Generate([Prompt], new GenerationOptions { MaxNewTokens = 6, Sampling = SamplingOptions.Greedy, StopAtEndOfText = false }, vector)
            .Completions.Single();

        // Act: every step recomputed from scratch, the vector at every position of the sequence so far.
        var sequence = new List<int>(Prompt);
        using (Model.AddSteering(vector))
            for (var i = 0; i < 6; i++)
            {
                using var logits = Model.Logits(sequence);
                sequence.Add((int)logits[-1].argmax().item<long>());
            }

        // Assert
        generated.ShouldBe(sequence.Skip(Prompt.Length));
    }

    [Fact]
    public void Ablation_leaves_the_residual_orthogonal_to_the_direction_at_every_position()
    {
        // Arrange
        var vector = Row(PositionMode.All);
        var u = tensor(vector.Components.Single().Values);
        u /= u.norm();

        // Act
        ActivationCache cache;
        using (Model.AddSteering(vector, new SteeringOptions { Operator = SteeringOperator.Ablate }))
        {
            var (logits, recorded) = Model.RunWithCache(Prompt, [HookNames.ResidPre(1)]);
            logits.Dispose();
            cache = recorded;
        }
        using var owned = cache;
        using var plain = Model.ReadActivations(Prompt, [HookNames.ResidPre(1)]);

        // Assert
        var ablated = cache[HookNames.ResidPre(1)][0];                                         // [pos, d_model]
        ablated.matmul(u).abs().max().item<float>().ShouldBeLessThan(1e-4f * ablated.norm().item<float>());
        var original = plain[HookNames.ResidPre(1)][0];
        (original - ablated).allclose(original.matmul(u).unsqueeze(1) * u, rtol: 1e-5, atol: 1e-5).ShouldBeTrue("only the component along u is removed");
    }

    [Fact]
    public void Options_override_a_vectors_mode_and_refuse_what_cannot_apply()
    {
        var front = Row(PositionMode.Front);
        ChangePerPass(front, new SteeringOptions { Positions = PositionMode.All }).Skip(1).ShouldAllBe(c => c > 1);
        var actAdd = Steer.Steering.Methods.ActAdd.Pair(Model, "Love", "Hate", 1, 5);
        Should.Throw<SteerException>(() => Model.AddSteering(actAdd, new SteeringOptions { Positions = PositionMode.All }))
            .Message.ShouldContain("rows (an ActAdd vector, which goes at the front)");
        Should.Throw<SteerException>(() => Model.AddSteering(actAdd, new SteeringOptions { Operator = SteeringOperator.Ablate }))
            .Message.ShouldContain("ablation removes one direction");
        Should.Throw<SteerException>(() => Model.AddSteering(front, new SteeringOptions { Operator = SteeringOperator.Ablate }))
            .Message.ShouldContain("give the vector at blocks.1.hook_resid_pre positions prompt, generated, all or assistant");
    }

    [Fact]
    public void A_zero_vector_at_every_position_changes_nothing_and_negation_is_exact()
    {
        using var plain = Model.Logits(Prompt);
        var vector = Row(PositionMode.All);
        Tensor Steered(SteeringVector v)
        {
            using var steering = Model.AddSteering(v);
            return Model.Logits(Prompt);
        }

        using var zero = Steered(vector - vector);
        using var a = Steered(vector * 2);
        using var b = Steered(-(vector * -2));

        zero.ShouldBeBitIdenticalTo(plain);
        a.ShouldBeBitIdenticalTo(b);
    }

    [Fact]
    public void A_safetensors_file_keeps_each_components_mode()
    {
        using var directory = new TempDirectory();
        var path = directory.File("v.safetensors");
        var vector = Row(PositionMode.All) + Row(PositionMode.Front) + Steer.Steering.Methods.ActAdd.Pair(Model, "Love", "Hate", 0, 2);

        SteeringVectorFile.Save(vector, path);
        var loaded = SteeringVectorFile.Load(path);

        loaded.Components.Select(c => (c.HookPoint, c.Mode, c.Positions)).Order()
            .ShouldBe(vector.Components.Select(c => (c.HookPoint, c.Mode, c.Positions)).Order());
        loaded.ApproximatelyEquals(vector, 0).ShouldBeTrue();
    }
}

public sealed class RelativeScaleTests(GoldenModelFixture models) : IClassFixture<GoldenModelFixture>
{
    [Fact]
    public void A_relative_coefficient_makes_each_components_norm_that_multiple_of_the_prompts_mean_residual_norm()
    {
        // Arrange: two layers, whose residual norms differ.
        var model = models["formula-g1.json"];
        int[] prompt = [50256, 40, 5465, 345, 780];
        var d = model.Shape.ModelDim;
        var vector = new SteeringVector(
        [
            SteeringComponent.Row(HookNames.ResidPre(0), Enumerable.Range(0, d).Select(i => MathF.Sin(i)).ToArray()),
            SteeringComponent.Row(HookNames.ResidPost(1), Enumerable.Range(0, d).Select(i => MathF.Cos(i)).ToArray()),
        ]);
        double MeanNorm(string hook)
        {
            using var cache = model.ReadActivations(prompt, [hook]);
            return cache[hook][0].narrow(0, 1, prompt.Length - 1).norm(1).mean().item<float>();   // BOS left out
        }

        // Act
        var (scaled, coefficients) = Steer.Steering.Methods.RelativeScale.Apply(model, vector, prompt, 0.25);

        // Assert
        foreach (var component in scaled.Components)
        {
            var expected = 0.25 * MeanNorm(component.HookPoint);
            component.Norm().ShouldBe(expected, 1e-5 * expected);
            coefficients[component.HookPoint].ShouldBe(expected / vector[component.HookPoint]!.Norm(), 1e-5 * coefficients[component.HookPoint]);
        }
        Should.Throw<SteerException>(() => Steer.Steering.Methods.RelativeScale.Apply(model, vector, prompt, double.NaN)).Message.ShouldContain("nonzero finite");
    }
}
