using Steer.Hooks;
using Steer.Runtime;
using TorchSharp;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Steer.Models.Gpt2;

/// <summary>Causal multi-head self-attention, scaled by 1/√head_dim.</summary>
internal sealed class Gpt2Attention : nn.Module
{
    [ComponentName(Name = "c_attn")] private readonly Linear _cAttn; // q | k | v
    [ComponentName(Name = "c_proj")] private readonly Linear _cProj;
    private readonly int _layer;
    private readonly long _heads;
    private readonly long _headDim;
    private readonly long _modelDim;
    private readonly HookPoint _q, _k, _v, _scores, _pattern, _z;

    public Gpt2Attention(int layer, Gpt2Config config, HookRegistry hooks, ScalarType dtype, Device device) : base("attn")
    {
        _layer = layer;
        _heads = config.Heads;
        _headDim = config.HeadDim;
        _modelDim = config.ModelDim;
        _cAttn = new Linear("c_attn", _modelDim, 3 * _modelDim, Gpt2Architecture.Projections, bias: true, dtype, device);
        _cProj = new Linear("c_proj", _modelDim, _modelDim, Gpt2Architecture.Projections, bias: true, dtype, device);
        _q = hooks.Point(HookNames.Q(layer));
        _k = hooks.Point(HookNames.K(layer));
        _v = hooks.Point(HookNames.V(layer));
        _scores = hooks.Point(HookNames.AttnScores(layer));
        _pattern = hooks.Point(HookNames.Pattern(layer));
        _z = hooks.Point(HookNames.Z(layer));
        RegisterComponents();
    }

    /// <param name="x">[batch, pos, d_model], after ln_1</param>
    /// <param name="mask">see <see cref="AttentionMask"/></param>
    /// <param name="cache">past keys and values, extended in place</param>
    /// <returns>[batch, pos, d_model], before the residual add</returns>
    public Tensor Forward(Tensor x, AttentionMask mask, KvCache? cache, HookContextFactory context)
    {
        var batch = x.size(0);
        var positions = x.size(1);
        var qkv = _cAttn.Forward(x).view(batch, positions, 3, _heads, _headDim); // [batch, pos, 3, heads, head_dim]
        // Hooks see [batch, pos, head, d_head] views of qkv, so an in-place edit takes effect too.
        var q = _q.Apply(qkv.select(2, 0), context).transpose(1, 2);            // [batch, heads, pos, head_dim]
        var k = _k.Apply(qkv.select(2, 1), context).transpose(1, 2);
        var v = _v.Apply(qkv.select(2, 2), context).transpose(1, 2);
        // The cache stores the hooked keys and values, so later steps attend to what this pass attended to.
        if (cache is not null) (k, v) = cache.Append(_layer, k, v);               // [batch, heads, past+pos, head_dim]
        // The fused kernel never materialises scores or pattern; only a hook on them pays for the explicit path.
        var z = Attend(q, k, v, mask, cache, context);                          // [batch, heads, pos, head_dim]
        z = _z.Apply(z.transpose(1, 2), context);                                // [batch, pos, heads, head_dim]
        return _cProj.Forward(z.reshape(batch, positions, _modelDim));           // [batch, pos, d_model]
    }

    /// <returns>[batch, heads, pos, head_dim]</returns>
    private Tensor Attend(Tensor q, Tensor k, Tensor v, AttentionMask mask, KvCache? cache, HookContextFactory context)
    {
        using var profiled = OperationProfiler.Time(ProfiledOperation.Attention);
        return _scores.IsActive || _pattern.IsActive
            ? ExplicitAttention(q, k, v, mask, context)
            : cache?.AttendOneQuery(_layer, q, mask, k.size(2))
              ?? nn.functional.scaled_dot_product_attention(q, k, v, mask.Mask, is_casual: mask.IsCausal);
    }

    /// <summary>
    /// Attention as TransformerLens writes it: scores q·kᵀ/√d_head with −∞ where <paramref name="mask"/> forbids
    /// a key, their row softmax as the pattern, and pattern·v; both hookable.
    /// </summary>
    /// <param name="q">[batch, heads, pos, head_dim]</param>
    /// <param name="k">[batch, heads, past+pos, head_dim], as is <paramref name="v"/></param>
    /// <returns>[batch, heads, pos, head_dim]</returns>
    private Tensor ExplicitAttention(Tensor q, Tensor k, Tensor v, AttentionMask mask, HookContextFactory context)
    {
        var scores = q.matmul(k.transpose(2, 3)).div_(Math.Sqrt(_headDim));      // [batch, heads, pos, past+pos]
        if (mask.Allowed(q.size(2), k.size(2), q.device) is { } allowed)
            scores = scores.masked_fill(allowed.logical_not(), double.NegativeInfinity);
        scores = _scores.Apply(scores, context);
        var pattern = _pattern.Apply(scores.softmax(-1), context);                 // [batch, heads, pos, past+pos]
        return pattern.matmul(v);
    }
}
