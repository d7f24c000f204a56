using Steer.Hooks;
using static TorchSharp.torch;

namespace Steer.Tests.Hooks;

public sealed class HookTests(GoldenModelFixture models) : IClassFixture<GoldenModelFixture>
{
    private static readonly int[] Ids = [50256, 40, 5465, 345, 780];
    private LanguageModel Model => models["formula-g1.json"];

    [Fact]
    public void Hook_points_have_TransformerLens_names_in_forward_order()
    {
        string[] Block(int l) =>
        [
            $"blocks.{l}.hook_resid_pre", $"blocks.{l}.ln1.hook_normalized",
            $"blocks.{l}.attn.hook_q", $"blocks.{l}.attn.hook_k", $"blocks.{l}.attn.hook_v",
            $"blocks.{l}.attn.hook_attn_scores", $"blocks.{l}.attn.hook_pattern", $"blocks.{l}.attn.hook_z",
            $"blocks.{l}.hook_attn_out", $"blocks.{l}.hook_resid_mid", $"blocks.{l}.ln2.hook_normalized",
            $"blocks.{l}.mlp.hook_pre", $"blocks.{l}.mlp.hook_post", $"blocks.{l}.hook_mlp_out", $"blocks.{l}.hook_resid_post",
        ];
        Model.HookPoints.ShouldBe(["hook_embed", "hook_pos_embed", .. Block(0), .. Block(1), "ln_final.hook_normalized"]);
    }

    [Fact]
    public void A_hook_that_returns_null_leaves_the_logits_bit_identical()
    {
        // Arrange
        // A hook on the scores or the pattern switches attention to the explicit path, equal only within rounding (AttentionHookTests).
        var points = Model.HookPoints.Where(name => !name.EndsWith(".hook_attn_scores") && !name.EndsWith(".hook_pattern")).ToList();
        var seen = new List<string>();
        var observers = points.Select(name => (name, (HookFunction)((_, ctx) =>
        {
            seen.Add(ctx.Name);
            return null;
        }))).ToList();

        // Act
        using var plain = Model.Logits(Ids);
        using var hooked = Model.LogitsWith(Ids, observers);

        // Assert
        hooked.Equals(plain).ShouldBeTrue();
        seen.ShouldBe(points);
    }

    [Fact]
    public void The_residual_stream_is_the_sum_of_its_parts()
    {
        // Act
        var (logits, cache) = Model.RunWithCache(Ids);
        using var _ = logits;
        using var __ = cache;

        // Assert: resid_pre(0) = embed + pos_embed; resid_mid = resid_pre + attn_out; resid_post = resid_mid + mlp_out
        (cache["hook_embed"] + cache["hook_pos_embed"]).allclose(cache["blocks.0.hook_resid_pre"]).ShouldBeTrue();
        (cache["blocks.1.hook_resid_pre"] + cache["blocks.1.hook_attn_out"]).allclose(cache["blocks.1.hook_resid_mid"]).ShouldBeTrue();
        (cache["blocks.1.hook_resid_mid"] + cache["blocks.1.hook_mlp_out"]).allclose(cache["blocks.1.hook_resid_post"]).ShouldBeTrue();
        cache["blocks.0.hook_resid_post"].Equals(cache["blocks.1.hook_resid_pre"]).ShouldBeTrue();
        cache["ln_final.hook_normalized"].mean([-1]).abs().max().item<float>().ShouldBeLessThan(1e-5f, "normalised before scale and bias");
    }

    [Fact]
    public void A_replacement_changes_what_the_rest_of_the_model_sees()
    {
        // Arrange: zero-ablate block 0's MLP, then check that resid_mid + 0 is what block 1 receives.
        HookFunction zero = (activation, _) => zeros_like(activation);
        var names = new[] { HookNames.ResidMid(0), HookNames.ResidPre(1) };

        // Act
        var (logits, cache) = Model.RunWithCacheWith(Ids, names, [(HookNames.MlpOut(0), zero)]);
        using var _ = logits;
        using var __ = cache;
        using var plain = Model.Logits(Ids);

        // Assert
        cache[HookNames.ResidPre(1)].Equals(cache[HookNames.ResidMid(0)]).ShouldBeTrue();
        logits.Equals(plain).ShouldBeFalse();
    }

    [Fact]
    public void An_in_place_modification_is_seen_downstream()
    {
        HookFunction addOne = (activation, _) =>
        {
            activation.add_(1.0);
            return null;
        };
        var (_, before) = Model.RunWithCache(Ids, [HookNames.ResidPre(1)]);
        var (logits, after) = Model.RunWithCacheWith(Ids, [HookNames.ResidPre(1)], [(HookNames.ResidPre(1), addOne)]);
        using (before) using (after) using (logits)
            (after[HookNames.ResidPre(1)] - before[HookNames.ResidPre(1)]).allclose(ones_like(before[HookNames.ResidPre(1)])).ShouldBeTrue();
    }

    [Fact]
    public void Hooks_passed_to_a_call_are_removed_after_it_and_permanent_hooks_stay_until_disposed()
    {
        // Arrange
        var calls = 0;
        HookFunction count = (_, _) =>
        {
            calls++;
            return null;
        };

        // Act / Assert
        using (Model.LogitsWith(Ids, [(HookNames.Embed, count)])) { }
        calls.ShouldBe(1);
        using (Model.Logits(Ids)) { }
        calls.ShouldBe(1, "a per-call hook is gone after its call");
        Model.Hooks.Any.ShouldBeFalse();

        using (Model.Hooks.Add(HookNames.Embed, count))
        {
            using (Model.Logits(Ids)) { }
            using (Model.Logits(Ids)) { }
            calls.ShouldBe(3);
        }
        using (Model.Logits(Ids)) { }
        calls.ShouldBe(3, "a permanent hook is gone once its handle is disposed");
    }

    [Fact]
    public void Hooks_see_the_decoding_steps_of_generation_flagged()
    {
        // Arrange
        var passes = new List<(long Past, bool Decoding, long Positions)>();
        HookFunction record = (activation, ctx) =>
        {
            passes.Add((ctx.PastLength, ctx.IsDecodingStep, activation.shape[1]));
            return null;
        };

        // Act
        Model.GenerateWith([Ids], new Steer.Generation.GenerationOptions { MaxNewTokens = 3, Sampling = Steer.Generation.SamplingOptions.Greedy },
            [(HookNames.ResidPre(0), record)]);

        // Assert
        passes.ShouldBe([(0L, false, 5L), (5L, true, 1L), (6L, true, 1L)]);
    }

    [Fact]
    public void An_unknown_hook_point_is_a_clear_error_listing_the_valid_names()
    {
        var error = Should.Throw<SteerException>(() => Model.LogitsWith(Ids, [("blocks.7.hook_resid_pre", (_, _) => null)]));
        error.Kind.ShouldBe(ErrorKind.InvalidArgument);
        error.Message.ShouldContain("'blocks.7.hook_resid_pre'");
        error.Message.ShouldContain("blocks.{0..1}");
        Model.Hooks.Any.ShouldBeFalse();
    }
}
