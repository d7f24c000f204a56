using TorchSharp;
using TorchSharp.Utils;
using Steer.Hooks;
using static TorchSharp.torch;

namespace Steer.Models.Gpt2;

/// <summary>One pre-LayerNorm transformer block, with its five residual-stream hook points.</summary>
internal sealed class Gpt2Block : nn.Module
{
    [ComponentName(Name = "ln_1")] private readonly LayerNorm _ln1;
    [ComponentName(Name = "attn")] private readonly Gpt2Attention _attn;
    [ComponentName(Name = "ln_2")] private readonly LayerNorm _ln2;
    [ComponentName(Name = "mlp")] private readonly Gpt2Mlp _mlp;
    private readonly int _firstHook; // index of blocks.L.hook_resid_pre in the hook registry

    public Gpt2Block(int layer, Gpt2Config config, int firstHook, ScalarType dtype, Device device) : base(layer.ToString())
    {
        _firstHook = firstHook;
        _ln1 = new LayerNorm("ln_1", config.ModelDim, config.LayerNormEpsilon, dtype, device);
        _attn = new Gpt2Attention(layer, config, dtype, device);
        _ln2 = new LayerNorm("ln_2", config.ModelDim, config.LayerNormEpsilon, dtype, device);
        _mlp = new Gpt2Mlp(config, dtype, device);
        RegisterComponents();
    }

    /// <param name="residPre">[batch, pos, d_model]</param>
    /// <returns>resid_post, [batch, pos, d_model]</returns>
    public Tensor Forward(Tensor residPre, AttentionMask mask, KvCache? cache, HookRegistry hooks, HookContextFactory context)
    {
        residPre = Hook(hooks, 0, residPre, context);
        var attnOut = Hook(hooks, 1, _attn.Forward(_ln1.Forward(residPre), mask, cache), context);
        var residMid = Hook(hooks, 2, residPre + attnOut, context);
        var mlpOut = Hook(hooks, 3, _mlp.Forward(_ln2.Forward(residMid)), context);
        return Hook(hooks, 4, residMid + mlpOut, context);
    }

    private Tensor Hook(HookRegistry hooks, int offset, Tensor x, HookContextFactory context) =>
        hooks.Has(_firstHook + offset) ? hooks.Run(_firstHook + offset, x, context) : x;
}
