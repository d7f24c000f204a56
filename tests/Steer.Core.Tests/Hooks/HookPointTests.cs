using Steer.Hooks;
using TorchSharp;
using static TorchSharp.torch;

namespace Steer.Tests.Hooks;

/// <summary>Each of GPT-2's hook points against an independent computation from its neighbours and the weights.</summary>
public sealed class HookPointTests(GoldenModelFixture models) : IClassFixture<GoldenModelFixture>
{
    private static readonly int[] Ids = [50256, 40, 5465, 345, 780, 13];
    private const double Tolerance = 1e-5;
    private LanguageModel Model => models["formula-g1.json"];

    private Tensor Weight(string name) => Model.Transformer.Weights().Single(w => w.Name == name).Tensor;

    private static void ShouldBeClose(Tensor actual, Tensor expected, double tolerance = Tolerance)
    {
        actual.shape.ShouldBe(expected.shape);
        var difference = (actual - expected).abs().max().to(ScalarType.Float64).item<double>();
        difference.ShouldBeLessThan(tolerance);
    }

    [Fact]
    public void Every_hook_point_fires_once_per_pass_in_the_listed_order()
    {
        // Arrange
        var seen = new List<string>();
        var observers = Model.HookPoints.Select(name => (name, (HookFunction)((_, ctx) =>
        {
            seen.Add(ctx.Name);
            return null;
        }))).ToList();

        // Act
        using (Model.LogitsWith(Ids, observers)) { }

        // Assert
        seen.ShouldBe(Model.HookPoints);
    }

    [Fact]
    public void The_residual_stream_adds_up_across_and_within_blocks()
    {
        var (logits, cache) = Model.RunWithCache(Ids);
        using var _ = logits;
        using var __ = cache;
        for (var layer = 0; layer < Model.Shape.Layers; layer++)
        {
            ShouldBeClose(cache[HookNames.ResidMid(layer)], cache[HookNames.ResidPre(layer)] + cache[HookNames.AttnOut(layer)]);
            ShouldBeClose(cache[HookNames.ResidPost(layer)], cache[HookNames.ResidMid(layer)] + cache[HookNames.MlpOut(layer)]);
            if (layer + 1 < Model.Shape.Layers)
                cache[HookNames.ResidPost(layer)].ShouldBeBitIdenticalTo(cache[HookNames.ResidPre(layer + 1)]);
        }
    }

    [Fact]
    public void Every_hook_normalized_has_mean_0_and_variance_1_per_position()
    {
        var names = new[] { HookNames.Ln1Normalized(0), HookNames.Ln2Normalized(0), HookNames.Ln1Normalized(1), HookNames.Ln2Normalized(1), HookNames.LnFinalNormalized };
        var (logits, cache) = Model.RunWithCache(Ids, names);
        using var _ = logits;
        using var __ = cache;
        foreach (var name in names)
        {
            var x = cache[name];                                                         // [1, pos, d_model]
            x.mean([-1]).abs().max().item<float>().ShouldBeLessThan(1e-5f, name);
            // Biased variance, as LayerNorm divides by it; ε = 1e-5 keeps it just under 1.
            (x.var([-1], unbiased: false) - 1).abs().max().item<float>().ShouldBeLessThan(1e-3f, name);
        }
    }

    [Fact]
    public void Q_k_and_v_are_ln1s_output_through_c_attn_split_into_heads()
    {
        var names = new[] { HookNames.ResidPre(1), HookNames.Ln1Normalized(1), HookNames.Q(1), HookNames.K(1), HookNames.V(1) };
        var (logits, cache) = Model.RunWithCache(Ids, names);
        using var _ = logits;
        using var __ = cache;

        // Independently: LayerNorm from the residual stream, then x·W + b.
        var ln1 = nn.functional.layer_norm(cache[HookNames.ResidPre(1)], [Model.Shape.ModelDim], Weight("h.1.ln_1.weight"), Weight("h.1.ln_1.bias"), 1e-5);
        ShouldBeClose(cache[HookNames.Ln1Normalized(1)] * Weight("h.1.ln_1.weight") + Weight("h.1.ln_1.bias"), ln1);
        var qkv = ln1.matmul(Weight("h.1.attn.c_attn.weight")) + Weight("h.1.attn.c_attn.bias"); // [1, pos, 3·d_model]
        var heads = Model.Shape.Heads;
        var split = qkv.view(1, Ids.Length, 3, heads, Model.Shape.ModelDim / heads);             // [1, pos, 3, head, d_head]
        ShouldBeClose(cache[HookNames.Q(1)], split.select(2, 0));
        ShouldBeClose(cache[HookNames.K(1)], split.select(2, 1));
        ShouldBeClose(cache[HookNames.V(1)], split.select(2, 2));
    }

    [Fact]
    public void Z_through_c_proj_is_attn_out()
    {
        var (logits, cache) = Model.RunWithCache(Ids, [HookNames.Z(0), HookNames.AttnOut(0)]);
        using var _ = logits;
        using var __ = cache;
        var z = cache[HookNames.Z(0)];                                                   // [1, pos, head, d_head]
        z.shape.ShouldBe([1, Ids.Length, Model.Shape.Heads, Model.Shape.ModelDim / Model.Shape.Heads]);
        var expected = z.reshape(1, Ids.Length, Model.Shape.ModelDim).matmul(Weight("h.0.attn.c_proj.weight")) + Weight("h.0.attn.c_proj.bias");
        ShouldBeClose(cache[HookNames.AttnOut(0)], expected);
    }

    [Fact]
    public void Mlp_post_is_gelu_new_of_mlp_pre_and_both_are_d_mlp_wide()
    {
        var (logits, cache) = Model.RunWithCache(Ids, [HookNames.MlpPre(1), HookNames.MlpPost(1)]);
        using var _ = logits;
        using var __ = cache;
        var pre = cache[HookNames.MlpPre(1)].to(ScalarType.Float64);                     // [1, pos, d_mlp]
        pre.shape.ShouldBe([1, Ids.Length, 4 * Model.Shape.ModelDim]);
        // gelu_new written out: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
        var expected = 0.5 * pre * (1 + tanh(Math.Sqrt(2 / Math.PI) * (pre + 0.044715 * pre.pow(3))));
        ShouldBeClose(cache[HookNames.MlpPost(1)].to(ScalarType.Float64), expected);
    }

    [Fact]
    public void The_aliases_record_what_resid_pre_and_resid_post_record_and_are_found_under_either_name()
    {
        var (logits, cache) = Model.RunWithCache(Ids, [HookNames.BlockIn(1), HookNames.BlockOut(0), HookNames.ResidPost(1)]);
        using var _ = logits;
        using var __ = cache;
        var (plainLogits, plain) = Model.RunWithCache(Ids, [HookNames.ResidPre(1), HookNames.ResidPost(0)]);
        using var ___ = plainLogits;
        using var ____ = plain;

        cache[HookNames.BlockIn(1)].ShouldBeBitIdenticalTo(plain[HookNames.ResidPre(1)]);
        cache[HookNames.BlockOut(0)].ShouldBeBitIdenticalTo(plain[HookNames.ResidPost(0)]);
        cache[HookNames.ResidPre(1)].ShouldBeBitIdenticalTo(plain[HookNames.ResidPre(1)]);
        cache.Contains(HookNames.BlockOut(1)).ShouldBeTrue("hook_out of 1 is resid_post of 1, recorded under its own name");
        Model.HookPoints.ShouldNotContain(HookNames.BlockIn(0), "the list keeps canonical names only");
        Model.Hooks.Resolve(HookNames.BlockOut(1)).ShouldBe(HookNames.ResidPost(1));
    }

    [Fact]
    public void A_hook_attached_by_alias_fires_at_its_point_with_the_canonical_name()
    {
        var names = new List<string>();
        using (Model.LogitsWith(Ids, [(HookNames.BlockIn(1), (_, ctx) =>
        {
            names.Add(ctx.Name);
            return null;
        })])) { }
        names.ShouldBe([HookNames.ResidPre(1)]);
    }

    [Fact]
    public void An_unknown_name_lists_the_valid_names_and_aliases()
    {
        var error = Should.Throw<SteerException>(() => Model.ReadActivations(Ids, ["blocks.0.attn.hook_result"]));
        error.Kind.ShouldBe(ErrorKind.InvalidArgument);
        error.Message.ShouldBe("unknown hook point 'blocks.0.attn.hook_result'. Valid names are hook_embed, hook_pos_embed, " +
            "blocks.{0..1}.{hook_resid_pre, ln1.hook_normalized, attn.hook_q, attn.hook_k, attn.hook_v, attn.hook_attn_scores, " +
            "attn.hook_pattern, attn.hook_z, hook_attn_out, hook_resid_mid, ln2.hook_normalized, mlp.hook_pre, mlp.hook_post, " +
            "hook_mlp_out, hook_resid_post} and ln_final.hook_normalized; aliases blocks.{0..1}.hook_in (= hook_resid_pre) and " +
            "blocks.{0..1}.hook_out (= hook_resid_post).");
    }
}
