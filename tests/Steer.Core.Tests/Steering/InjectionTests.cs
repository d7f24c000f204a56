using Steer.Generation;
using Steer.Hooks;
using Steer.Steering;
using Steer.Steering.Methods;
using static TorchSharp.torch;

namespace Steer.Tests.Steering;

/// <summary>Where, when and to which rows a vector is added.</summary>
public sealed class InjectionTests(GoldenModelFixture models) : IClassFixture<GoldenModelFixture>
{
    private static readonly int[] Prompt = [50256, 40, 1816, 510, 284, 616, 1545, 290, 531]; // "I went up to my friend and said"
    private LanguageModel Model => models["formula-g1.json"];
    private SteeringVector LoveHate => ActAdd.Pair(Model, "Love", "Hate", 1, 5);           // 3 positions

    /// <summary>Per position, whether the steered resid_pre(1) differs from the clean one.</summary>
    private bool[] ChangedPositions(SteeringOptions options, IReadOnlyList<int>? ids = null)
    {
        ids ??= Prompt;
        using var injector = new SteeringInjector(Model, LoveHate, options);
        var (cleanLogits, clean) = Model.RunWithCache(ids, [HookNames.ResidPre(1)]);
        var (steeredLogits, steered) = Model.RunWithCacheWith(ids, [HookNames.ResidPre(1)], injector.Hooks);
        using (cleanLogits) using (clean) using (steeredLogits) using (steered)
        {
            var diff = (steered[HookNames.ResidPre(1)] - clean[HookNames.ResidPre(1)]).abs().amax([0, 2]); // [pos]
            return diff.data<float>().Select(d => d > 0).ToArray();
        }
    }

    [Fact]
    public void Front_injection_changes_positions_1_to_n_minus_1_and_BOS_receives_zero()
    {
        ChangedPositions(new SteeringOptions()).ShouldBe([false, true, true, false, false, false, false, false, false]);
    }

    [Fact]
    public void Mid_and_back_injection_use_the_original_windows()
    {
        // S = 9, n = 3: mid starts at 9/2 - 3/2 = 3 (its row 0 is zero), back starts at 6.
        ChangedPositions(new SteeringOptions { Location = InjectionLocation.Mid }).ShouldBe([false, false, false, false, true, true, false, false, false]);
        ChangedPositions(new SteeringOptions { Location = InjectionLocation.Back }).ShouldBe([false, false, false, false, false, false, false, true, true]);
    }

    [Fact]
    public void A_dimension_slice_steers_only_those_residual_dimensions()
    {
        // Arrange
        using var injector = new SteeringInjector(Model, LoveHate, new SteeringOptions { Dimensions = (0, 16) });
        var (a, clean) = Model.RunWithCache(Prompt, [HookNames.ResidPre(1)]);
        var (b, steered) = Model.RunWithCacheWith(Prompt, [HookNames.ResidPre(1)], injector.Hooks);
        using var _ = a; using var __ = b; using var ___ = clean; using var ____ = steered;

        // Act
        var changed = (steered[HookNames.ResidPre(1)] - clean[HookNames.ResidPre(1)]).abs().amax([0, 1]).data<float>().ToArray(); // [d_model]

        // Assert
        changed.Take(16).ShouldContain(d => d > 0);
        changed.Skip(16).ShouldAllBe(d => d == 0);
    }

    [Fact]
    public void A_short_prompt_is_refused_by_default_with_both_lengths()
    {
        var error = Should.Throw<SteerException>(() => Model.Score([50256, 40], LoveHate));
        error.Kind.ShouldBe(ErrorKind.InvalidArgument);
        error.Message.ShouldContain("2 tokens");
        error.Message.ShouldContain("spans 3 positions");
    }

    [Fact]
    public void The_pad_policy_inserts_n_minus_1_spaces_after_BOS()
    {
        var padded = Model.PrepareForSteering([50256, 40], LoveHate, new SteeringOptions { ShortPrompt = ShortPromptPolicy.Pad });
        padded.ShouldBe([50256, 220, 220, 40]);
        Model.Score([50256, 40], LoveHate, new SteeringOptions { ShortPrompt = ShortPromptPolicy.Pad }).Ids.ShouldBe(padded);
    }

    [Fact]
    public void The_truncate_policy_adds_the_positions_that_fit()
    {
        ChangedPositions(new SteeringOptions { ShortPrompt = ShortPromptPolicy.Truncate }, [50256, 40]).ShouldBe([false, true]);
    }

    [Fact]
    public void Cached_steered_generation_equals_recomputing_with_the_vector_at_the_front()
    {
        // Arrange
        var options = new GenerationOptions { MaxNewTokens = 10, Sampling = SamplingOptions.Greedy };
        using var injector = new SteeringInjector(Model, LoveHate, new SteeringOptions());

        // Act
        var cached = Model.Generate([Prompt], options, LoveHate).Completions.Single();
        var recomputed = new List<int>(Prompt);
        for (var i = 0; i < options.MaxNewTokens; i++)
        {
            using var logits = Model.LogitsWith(recomputed, injector.Hooks);
            recomputed.Add((int)logits[-1].argmax().item<long>());
        }

        // Assert
        cached.ShouldBe(recomputed.Skip(Prompt.Length));
        cached.ShouldNotBe(Model.Generate([Prompt], options).Completions.Single(), "the vector changes the greedy path");
    }

    [Fact]
    public void Rows_of_different_lengths_are_each_steered_at_their_own_front()
    {
        // Arrange
        int[] shorter = [50256, 40, 5465, 345, 780];
        var options = new GenerationOptions { MaxNewTokens = 6, Sampling = SamplingOptions.Greedy };

        // Act
        var batched = Model.Generate([Prompt, shorter], options, LoveHate).Completions;
        var alone = new[] { Prompt, shorter }.Select(p => Model.Generate([p], options, LoveHate).Completions.Single()).ToList();

        // Assert
        batched.ShouldBe(alone);
    }

    [Fact]
    public void Compare_starts_both_sides_from_the_same_seed_and_steering_never_touches_the_unsteered_side()
    {
        // Arrange
        var options = new GenerationOptions { MaxNewTokens = 12, Count = 3, Seed = 0, Sampling = SamplingOptions.ActAddPost };

        // Act
        var (unsteered, steered) = Model.Compare(Prompt, options, LoveHate);
        var again = Model.Compare(Prompt, options, LoveHate);
        var alone = Model.Generate([Prompt], options);
        var steeredAlone = Model.Generate([Prompt], options, LoveHate);
        var (unsteeredWithOther, _) = Model.Compare(Prompt, options, ActAdd.Pair(Model, "Anger", "Calm", 0, 50));

        // Assert
        again.Unsteered.Completions.ShouldBe(unsteered.Completions);
        again.Steered.Completions.ShouldBe(steered.Completions);
        unsteered.Completions.ShouldBe(alone.Completions, "the left column equals plain generation with the same seed");
        steered.Completions.ShouldBe(steeredAlone.Completions);
        unsteeredWithOther.Completions.ShouldBe(unsteered.Completions, "changing the steering leaves the unsteered side alone");
        steered.Completions.ShouldNotBe(unsteered.Completions);
    }

    [Fact]
    public void A_vector_of_another_width_is_refused()
    {
        var wide = new SteeringVector([new SteeringComponent(HookNames.ResidPre(0), 2, 65, new float[130])]);
        Should.Throw<SteerException>(() => Model.Score(Prompt, wide)).Message.ShouldContain("d_model is 64");
    }
}
