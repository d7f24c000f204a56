using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Steer.Models.Gpt2;

/// <summary>The feed-forward block with <c>gelu_new</c>, the tanh approximation of GELU.</summary>
internal sealed class Gpt2Mlp : nn.Module
{
    [ComponentName(Name = "c_fc")] private readonly Conv1D _cFc;
    [ComponentName(Name = "c_proj")] private readonly Conv1D _cProj;

    public Gpt2Mlp(Gpt2Config config, ScalarType dtype, Device device) : base("mlp")
    {
        _cFc = new Conv1D("c_fc", config.ModelDim, config.MlpDim, dtype, device);
        _cProj = new Conv1D("c_proj", config.MlpDim, config.ModelDim, dtype, device);
        RegisterComponents();
    }

    /// <param name="x">[batch, pos, d_model], after ln_2</param>
    public Tensor Forward(Tensor x) => _cProj.Forward(nn.functional.gelu(_cFc.Forward(x), GELU.Approximate.tanh));
}
