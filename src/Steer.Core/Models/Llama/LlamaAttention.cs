using Steer.Hooks;
using Steer.Runtime;
using Steer.Runtime.Kernels;
using TorchSharp;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Steer.Models.Llama;

/// <summary>
/// Grouped-query self-attention with RoPE: query head h reads key/value head h / (heads / kv_heads), as Hugging
/// Face's repeat_kv arranges them; scaled by 1/√head_dim; Qwen3's q/k RMSNorm before RoPE; an optional sliding window.
/// </summary>
internal sealed class LlamaAttention : nn.Module
{
    [ComponentName(Name = "q_proj")] private readonly Linear _qProj;
    [ComponentName(Name = "k_proj")] private readonly Linear _kProj;
    [ComponentName(Name = "v_proj")] private readonly Linear _vProj;
    [ComponentName(Name = "o_proj")] private readonly Linear _oProj;
    [ComponentName(Name = "q_norm")] private readonly RmsNorm? _qNorm;
    [ComponentName(Name = "k_norm")] private readonly RmsNorm? _kNorm;
    private readonly int _layer;
    private readonly long _heads, _kvHeads, _headDim;
    private readonly HookPoint _q, _k, _v, _rotQ, _rotK, _scores, _pattern, _z;

    public LlamaAttention(int layer, LlamaConfig config, HookRegistry hooks, ScalarType dtype, Device device) : base("self_attn")
    {
        _layer = layer;
        _heads = config.Heads;
        _kvHeads = config.KvHeads;
        _headDim = config.HeadDim;
        long d = config.ModelDim, q = _heads * _headDim, kv = _kvHeads * _headDim;
        _qProj = new Linear("q_proj", d, q, LinearLayout.OutputMajor, config.QkvBias, dtype, device);
        _kProj = new Linear("k_proj", d, kv, LinearLayout.OutputMajor, config.QkvBias, dtype, device);
        _vProj = new Linear("v_proj", d, kv, LinearLayout.OutputMajor, config.QkvBias, dtype, device);
        _oProj = new Linear("o_proj", q, d, LinearLayout.OutputMajor, config.OutputBias, dtype, device);
        if (config.QkNorm)
        {
            _qNorm = new RmsNorm("q_norm", _headDim, config.RmsNormEps, dtype, device);
            _kNorm = new RmsNorm("k_norm", _headDim, config.RmsNormEps, dtype, device);
        }
        _q = hooks.Point(HookNames.Q(layer));
        _k = hooks.Point(HookNames.K(layer));
        _v = hooks.Point(HookNames.V(layer));
        _rotQ = hooks.Point(HookNames.RotQ(layer));
        _rotK = hooks.Point(HookNames.RotK(layer));
        _scores = hooks.Point(HookNames.AttnScores(layer));
        _pattern = hooks.Point(HookNames.Pattern(layer));
        _z = hooks.Point(HookNames.Z(layer));
        RegisterComponents();
    }

    /// <param name="x">[batch, pos, d_model], after input_layernorm</param>
    /// <param name="cos">[batch or 1, 1, pos, head_dim], as is <paramref name="sin"/></param>
    /// <param name="mask">this layer's mask (full or windowed)</param>
    /// <returns>[batch, pos, d_model], before the residual add</returns>
    public Tensor Forward(Tensor x, Tensor cos, Tensor sin, AttentionMask mask, KvCache? cache, HookContextFactory context)
    {
        var batch = x.size(0);
        var positions = x.size(1);
        var q = _q.Apply(_qProj.Forward(x).view(batch, positions, _heads, _headDim), context);    // [batch, pos, heads, head_dim]
        var k = _k.Apply(_kProj.Forward(x).view(batch, positions, _kvHeads, _headDim), context);  // [batch, pos, kv_heads, head_dim]
        var v = _v.Apply(_vProj.Forward(x).view(batch, positions, _kvHeads, _headDim), context);
        if (_qNorm is not null) q = _qNorm.Forward(q);
        if (_kNorm is not null) k = _kNorm.Forward(k);
        q = _rotQ.Apply(Rotate(q, cos, sin), context).transpose(1, 2);                           // [batch, heads, pos, head_dim]
        k = _rotK.Apply(Rotate(k, cos, sin), context).transpose(1, 2);                           // [batch, kv_heads, pos, head_dim]
        v = v.transpose(1, 2);                                                                   // [batch, kv_heads, pos, head_dim]
        // The cache holds the key-value heads, not their repeats, with RoPE already applied at absolute positions.
        if (cache is not null) (k, v) = cache.Append(_layer, k, v);                              // [batch, kv_heads, past+pos, head_dim]
        var z = Attend(q, k, v, mask, cache, context);                                           // [batch, heads, pos, head_dim]
        z = _z.Apply(z.transpose(1, 2), context);                                                // [batch, pos, heads, head_dim]
        return _oProj.Forward(z.reshape(batch, positions, _heads * _headDim));                   // [batch, pos, d_model]
    }

    /// <param name="x">[batch, pos, heads, head_dim]</param>
    /// <returns>x with RoPE applied, [batch, pos, heads, head_dim]</returns>
    private static Tensor Rotate(Tensor x, Tensor cos, Tensor sin)
    {
        using var profiled = OperationProfiler.Time(ProfiledOperation.Attention);
        return RopeKernel.Handles(x, cos) ? RopeKernel.Apply(x, cos, sin) : RotaryEmbedding.Apply(x.transpose(1, 2), cos, sin).transpose(1, 2);
    }

    /// <returns>[batch, heads, pos, head_dim]</returns>
    private Tensor Attend(Tensor q, Tensor k, Tensor v, AttentionMask mask, KvCache? cache, HookContextFactory context)
    {
        using var profiled = OperationProfiler.Time(ProfiledOperation.Attention);
        return _scores.IsActive || _pattern.IsActive ? ExplicitAttention(q, k, v, mask, context)
            : cache?.AttendOneQuery(_layer, q, mask, k.size(2)) ?? FusedAttention(q, k, v, mask);
    }

    /// <returns>[batch, heads, pos, head_dim]</returns>
    private Tensor FusedAttention(Tensor q, Tensor k, Tensor v, AttentionMask mask)
    {
        var group = _heads / _kvHeads;
        var (batch, positions) = (q.size(0), q.size(2));
        if (group > 1 && positions == 1)
        {
            // A decoding step: the heads sharing a key-value head become that head's queries, so the cache is read
            // once instead of being copied group times. A one-query mask broadcasts over them.
            var grouped = q.reshape(batch, _kvHeads, group, _headDim);                           // [batch, kv_heads, group, head_dim]
            var output = nn.functional.scaled_dot_product_attention(grouped, k, v, mask.Mask, is_casual: false);
            return output.reshape(batch, _heads, 1, _headDim);
        }
        var (keys, values) = Repeat(k, v);
        return nn.functional.scaled_dot_product_attention(q, keys, values, mask.Mask, is_casual: mask.IsCausal);
    }

    /// <summary>
    /// Attention as TransformerLens writes it, with hookable scores (q·kᵀ/√head_dim, −∞ where masked) and pattern.
    /// </summary>
    /// <returns>[batch, heads, pos, head_dim]</returns>
    private Tensor ExplicitAttention(Tensor q, Tensor k, Tensor v, AttentionMask mask, HookContextFactory context)
    {
        var (keys, values) = Repeat(k, v);                                                       // [batch, heads, past+pos, head_dim]
        var scores = q.matmul(keys.transpose(2, 3)).div_(Math.Sqrt(_headDim));                   // [batch, heads, pos, past+pos]
        if (mask.Allowed(q.size(2), keys.size(2), q.device) is { } allowed)
            scores = scores.masked_fill(allowed.logical_not(), double.NegativeInfinity);
        scores = _scores.Apply(scores, context);
        var pattern = _pattern.Apply(scores.softmax(-1, ScalarType.Float32).to(q.dtype), context);
        return pattern.matmul(values);
    }

    /// <summary>Hugging Face's repeat_kv: each key-value head repeated for the query heads that read it.</summary>
    private (Tensor Keys, Tensor Values) Repeat(Tensor k, Tensor v)
    {
        var group = _heads / _kvHeads;
        return group == 1 ? (k, v) : (k.repeat_interleave(group, 1), v.repeat_interleave(group, 1));
    }
}
