using Steer.Hooks;
using Steer.Runtime;
using TorchSharp;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Steer.Models.Llama;

/// <summary>SwiGLU: down(silu(gate(x)) ⊙ up(x)).</summary>
internal sealed class LlamaMlp : nn.Module
{
    [ComponentName(Name = "gate_proj")] private readonly Linear _gate;
    [ComponentName(Name = "up_proj")] private readonly Linear _up;
    [ComponentName(Name = "down_proj")] private readonly Linear _down;
    private readonly HookPoint _pre, _preLinear, _post;

    public LlamaMlp(int layer, LlamaConfig config, HookRegistry hooks, ScalarType dtype, Device device) : base("mlp")
    {
        _gate = new Linear("gate_proj", config.ModelDim, config.MlpDim, LinearLayout.OutputMajor, config.MlpBias, dtype, device);
        _up = new Linear("up_proj", config.ModelDim, config.MlpDim, LinearLayout.OutputMajor, config.MlpBias, dtype, device);
        _down = new Linear("down_proj", config.MlpDim, config.ModelDim, LinearLayout.OutputMajor, config.MlpBias, dtype, device);
        _pre = hooks.Point(HookNames.MlpPre(layer));
        _preLinear = hooks.Point(HookNames.MlpPreLinear(layer));
        _post = hooks.Point(HookNames.MlpPost(layer));
        RegisterComponents();
    }

    /// <param name="x">[batch, pos, d_model], after post_attention_layernorm</param>
    /// <returns>[batch, pos, d_model], before the residual add</returns>
    public Tensor Forward(Tensor x, HookContextFactory context)
    {
        var gate = _pre.Apply(_gate.Forward(x), context);                      // [batch, pos, d_mlp]
        var up = _preLinear.Apply(_up.Forward(x), context);                    // [batch, pos, d_mlp]
        var post = _post.Apply(Activate(gate, up), context);                   // [batch, pos, d_mlp]
        return _down.Forward(post);
    }

    private static Tensor Activate(Tensor gate, Tensor up)
    {
        using var profiled = OperationProfiler.Time(ProfiledOperation.Activation);
        return nn.functional.silu(gate).mul_(up);
    }
}
