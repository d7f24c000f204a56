using Steer.Hooks;
using Steer.Runtime;
using Steer.Runtime.Kernels;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Steer.Models.Gpt2;

/// <summary>The feed-forward block with <c>gelu_new</c>, the tanh approximation of GELU.</summary>
internal sealed class Gpt2Mlp : nn.Module
{
    [ComponentName(Name = "c_fc")] private readonly Linear _cFc;
    [ComponentName(Name = "c_proj")] private readonly Linear _cProj;
    private readonly HookPoint _pre, _post;

    public Gpt2Mlp(int layer, Gpt2Config config, HookRegistry hooks, ScalarType dtype, Device device) : base("mlp")
    {
        // Hugging Face's GPT-2 "Conv1D" is a linear layer whose weight is stored [in, out].
        _cFc = new Linear("c_fc", config.ModelDim, config.MlpDim, Gpt2Architecture.Projections, bias: true, dtype, device);
        _cProj = new Linear("c_proj", config.MlpDim, config.ModelDim, Gpt2Architecture.Projections, bias: true, dtype, device);
        _pre = hooks.Point(HookNames.MlpPre(layer));
        _post = hooks.Point(HookNames.MlpPost(layer));
        RegisterComponents();
    }

    /// <param name="x">[batch, pos, d_model], after ln_2</param>
    /// <returns>[batch, pos, d_model], before the residual add</returns>
    public Tensor Forward(Tensor x, HookContextFactory context)
    {
        var pre = _pre.Apply(_cFc.Forward(x), context);                                   // [batch, pos, d_mlp]
        var post = _post.Apply(Activate(pre), context);                                   // [batch, pos, d_mlp]
        return _cProj.Forward(post);
    }

    private static Tensor Activate(Tensor pre)
    {
        using var profiled = OperationProfiler.Time(ProfiledOperation.Activation);
        return GeluKernel.Handles(pre) ? GeluKernel.Apply(pre) : nn.functional.gelu(pre, GELU.Approximate.tanh);
    }
}
