using Steer.Hooks;
using TorchSharp;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Steer.Models.Gpt2;

/// <summary>One pre-LayerNorm transformer block, with its residual-stream, LayerNorm and MLP hook points.</summary>
internal sealed class Gpt2Block : nn.Module
{
    [ComponentName(Name = "ln_1")] private readonly LayerNorm _ln1;
    [ComponentName(Name = "attn")] private readonly Gpt2Attention _attn;
    [ComponentName(Name = "ln_2")] private readonly LayerNorm _ln2;
    [ComponentName(Name = "mlp")] private readonly Gpt2Mlp _mlp;
    private readonly HookPoint _ln1Normalized, _attnOut, _residMid, _ln2Normalized, _mlpOut, _residPost;

    public Gpt2Block(int layer, Gpt2Config config, HookRegistry hooks, ScalarType dtype, Device device) : base(layer.ToString())
    {
        _ln1 = new LayerNorm("ln_1", config.ModelDim, config.LayerNormEpsilon, dtype, device);
        _attn = new Gpt2Attention(layer, config, hooks, dtype, device);
        _ln2 = new LayerNorm("ln_2", config.ModelDim, config.LayerNormEpsilon, dtype, device);
        _mlp = new Gpt2Mlp(layer, config, hooks, dtype, device);
        ResidPre = hooks.Point(HookNames.ResidPre(layer));
        _ln1Normalized = hooks.Point(HookNames.Ln1Normalized(layer));
        _attnOut = hooks.Point(HookNames.AttnOut(layer));
        _residMid = hooks.Point(HookNames.ResidMid(layer));
        _ln2Normalized = hooks.Point(HookNames.Ln2Normalized(layer));
        _mlpOut = hooks.Point(HookNames.MlpOut(layer));
        _residPost = hooks.Point(HookNames.ResidPost(layer));
        RegisterComponents();
    }

    /// <summary>The block's input; the transformer fires it alone when a pass stops there.</summary>
    public HookPoint ResidPre { get; }

    /// <param name="input">[batch, pos, d_model]</param>
    /// <returns>resid_post, [batch, pos, d_model]</returns>
    public Tensor Forward(Tensor input, AttentionMask mask, KvCache? cache, HookContextFactory context)
    {
        var residPre = ResidPre.Apply(input, context);
        var attnOut = _attnOut.Apply(_attn.Forward(Normalize(_ln1, _ln1Normalized, residPre, context), mask, cache, context), context);
        var residMid = _residMid.Apply(ResidualStream.Add(residPre, attnOut), context);
        var mlpOut = _mlpOut.Apply(_mlp.Forward(Normalize(_ln2, _ln2Normalized, residMid, context), context), context);
        return _residPost.Apply(ResidualStream.Add(residMid, mlpOut), context);
    }

    /// <summary>LayerNorm with its hook_normalized between normalising and scale and bias.</summary>
    private static Tensor Normalize(LayerNorm ln, HookPoint normalized, Tensor x, HookContextFactory context) =>
        normalized.IsActive ? ln.Affine(normalized.Apply(ln.Normalize(x), context)) : ln.Forward(x);
}
