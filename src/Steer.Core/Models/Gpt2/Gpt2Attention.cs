using TorchSharp;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Steer.Models.Gpt2;

/// <summary>Causal multi-head self-attention, scaled by 1/√head_dim.</summary>
internal sealed class Gpt2Attention : nn.Module
{
    [ComponentName(Name = "c_attn")] private readonly Conv1D _cAttn; // q | k | v
    [ComponentName(Name = "c_proj")] private readonly Conv1D _cProj;
    private readonly int _layer;
    private readonly long _heads;
    private readonly long _headDim;
    private readonly long _modelDim;

    public Gpt2Attention(int layer, Gpt2Config config, ScalarType dtype, Device device) : base("attn")
    {
        _layer = layer;
        _heads = config.Heads;
        _headDim = config.HeadDim;
        _modelDim = config.ModelDim;
        _cAttn = new Conv1D("c_attn", _modelDim, 3 * _modelDim, dtype, device);
        _cProj = new Conv1D("c_proj", _modelDim, _modelDim, dtype, device);
        RegisterComponents();
    }

    /// <param name="x">[batch, pos, d_model], after ln_1</param>
    /// <param name="mask">see <see cref="AttentionMask"/></param>
    /// <param name="cache">past keys and values, extended in place</param>
    /// <returns>[batch, pos, d_model], before the residual add</returns>
    public Tensor Forward(Tensor x, AttentionMask mask, KvCache? cache)
    {
        var batch = x.shape[0];
        var positions = x.shape[1];
        var qkv = _cAttn.Forward(x).view(batch, positions, 3, _heads, _headDim); // [batch, pos, 3, heads, head_dim]
        var q = qkv.select(2, 0).transpose(1, 2);                                // [batch, heads, pos, head_dim]
        var k = qkv.select(2, 1).transpose(1, 2);
        var v = qkv.select(2, 2).transpose(1, 2);
        if (cache is not null) (k, v) = cache.Append(_layer, k, v);               // [batch, heads, past+pos, head_dim]
        var z = nn.functional.scaled_dot_product_attention(q, k, v, mask.Mask, is_casual: mask.IsCausal);
        z = z.transpose(1, 2).reshape(batch, positions, _modelDim);              // [batch, pos, d_model]
        return _cProj.Forward(z);
    }
}
