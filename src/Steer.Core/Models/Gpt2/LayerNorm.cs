using Steer.Runtime;
using Steer.Runtime.Kernels;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Steer.Models.Gpt2;

/// <summary>LayerNorm with biased variance, as GPT-2 uses it.</summary>
internal sealed class LayerNorm : nn.Module
{
    [ComponentName(Name = "weight")] private readonly Parameter _weight; // [d_model]
    [ComponentName(Name = "bias")] private readonly Parameter _bias;     // [d_model]
    private readonly long[] _shape;
    private readonly double _eps;

    public LayerNorm(string name, long dim, double eps, ScalarType dtype, Device device) : base(name)
    {
        _weight = new Parameter(empty([dim], dtype, device), requires_grad: false);
        _bias = new Parameter(empty([dim], dtype, device), requires_grad: false);
        _shape = [dim];
        _eps = eps;
        RegisterComponents();
    }

    /// <param name="x">[batch, pos, d_model]</param>
    public Tensor Forward(Tensor x)
    {
        using var profiled = OperationProfiler.Time(ProfiledOperation.Norms);
        return LayerNormKernel.Handles(x, _weight, _bias)
            ? LayerNormKernel.Apply(x, _weight, _bias, _eps)
            : nn.functional.layer_norm(x, _shape, _weight, _bias, _eps);
    }

    /// <summary>The normalised input before scale and bias (TransformerLens's <c>hook_normalized</c>).</summary>
    public Tensor Normalize(Tensor x)
    {
        using var profiled = OperationProfiler.Time(ProfiledOperation.Norms);
        return LayerNormKernel.Handles(x, _weight, _bias)
            ? LayerNormKernel.Normalize(x, _weight, _eps)
            : nn.functional.layer_norm(x, _shape, eps: _eps);
    }

    /// <summary>Applies scale and bias to an already normalised input.</summary>
    public Tensor Affine(Tensor normalized)
    {
        using var profiled = OperationProfiler.Time(ProfiledOperation.Norms);
        return LayerNormKernel.Handles(normalized, _weight, _bias)
            ? LayerNormKernel.Affine(normalized, _weight, _bias)
            : torch.addcmul(_bias, normalized, _weight, One);
    }

    // Held for the process: an implicit Scalar made from a literal for one call can be finalised while libtorch
    // still reads it (only its native handle crosses the call), which made addcmul fail at random with
    // "Expected false to be true ... toFloat" in steer bench.
    private static readonly Scalar One = 1.0.ToScalar();
}
