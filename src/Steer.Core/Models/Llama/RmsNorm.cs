using Steer.Runtime;
using Steer.Runtime.Kernels;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Steer.Models.Llama;

/// <summary>
/// RMSNorm as Hugging Face's LlamaRMSNorm computes it: x / √(mean(x²) + ε) in float32, cast back to the input's
/// dtype, then times the weight (so a bfloat16 model rounds before the scale, as HF does).
/// </summary>
internal sealed class RmsNorm : nn.Module
{
    [ComponentName(Name = "weight")] private readonly Parameter _weight; // [dim]
    private readonly double _eps;

    public RmsNorm(string name, long dim, double eps, ScalarType dtype, Device device) : base(name)
    {
        _weight = new Parameter(empty([dim], dtype, device), requires_grad: false);
        _eps = eps;
        RegisterComponents();
    }

    /// <param name="x">[..., dim]</param>
    public Tensor Forward(Tensor x)
    {
        using var profiled = OperationProfiler.Time(ProfiledOperation.Norms);
        return RmsNormKernel.Handles(x, _weight) ? RmsNormKernel.Apply(x, _weight, _eps) : Scale(Normalize(x));
    }

    /// <summary>The normalised input before the weight (TransformerLens's <c>hook_normalized</c>), in x's dtype.</summary>
    public Tensor Normalize(Tensor x)
    {
        var x32 = x.dtype == ScalarType.Float32 ? x : x.to(ScalarType.Float32);
        var normalized = x32 * x32.square().mean([-1], keepdim: true).add_(_eps).rsqrt_();
        return normalized.dtype == x.dtype ? normalized : normalized.to(x.dtype);
    }

    public Tensor Scale(Tensor normalized) => normalized * _weight;
}
