using Steer.Runtime;
using Steer.Runtime.Kernels;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Steer.Models;

/// <summary>
/// A linear layer whose weight keeps the checkpoint's layout (so checkpoints load without transposes), allocated
/// uninitialised for the loader to fill. An architecture only declares its <see cref="LinearLayout"/>; the choice
/// between the decode kernels and libtorch is made here, once for all architectures.
/// </summary>
internal sealed class Linear : nn.Module
{
    [ComponentName(Name = "weight")] private readonly Parameter _weight; // [in, out] or [out, in], per _layout
    [ComponentName(Name = "bias")] private readonly Parameter? _bias;    // [out]
    private readonly LinearLayout _layout;
    private Q8Matrix? _quantized;
    private SmallBatchLinear.KernelWeight? _kernel;
    private bool _kernelChecked;

    public Linear(string name, long inFeatures, long outFeatures, LinearLayout layout, bool bias, ScalarType dtype, Device device) : base(name)
    {
        _layout = layout;
        long[] shape = layout == LinearLayout.InputMajor ? [inFeatures, outFeatures] : [outFeatures, inFeatures];
        _weight = new Parameter(empty(shape, dtype, device), requires_grad: false);
        if (bias) _bias = new Parameter(empty([outFeatures], dtype, device), requires_grad: false);
        RegisterComponents();
    }

    /// <summary>The weight in the checkpoint's layout.</summary>
    public Tensor Weight => _quantized is null ? _weight
        : throw new InvalidOperationException($"{GetName()}'s weight is held as int8 blocks; its float values are gone");

    /// <summary>Whether the weight is held as Q8_0 blocks (<c>--dtype int8</c>).</summary>
    public bool IsQuantized => _quantized is not null;

    /// <summary>Bytes a product reads from the weight: its blocks when quantized, else the stored tensor.</summary>
    public long WeightBytes => _quantized?.Bytes ?? _weight.numel() * _weight.ElementSize;

    /// <summary>
    /// Replaces the loaded float32 weight by Q8_0 blocks and frees the float32 storage, so that a model quantized
    /// layer by layer while it loads never holds all of its float32 weights. The parameter keeps its shape (as a
    /// one-element broadcast view) for listings; <see cref="Weight"/> refuses to be read afterwards.
    /// Returns false, leaving the layer in float32, when the inner dimension is not a multiple of 32.
    /// </summary>
    public bool Quantize()
    {
        if (_quantized is not null) return true;
        using var rows = _layout == LinearLayout.InputMajor ? _weight.t() : _weight.alias();     // [out, in]
        if (!Q8Matrix.CanQuantize(rows)) return false;
        _quantized = Q8Matrix.From(rows);
        using (var placeholder = zeros(1, _weight.dtype, _weight.device).expand(_weight.shape)) _weight.set_(placeholder);
        return true;
    }

    /// <param name="x">[batch, pos, in]</param>
    /// <returns>[batch, pos, out]</returns>
    public Tensor Forward(Tensor x)
    {
        using var profiled = OperationProfiler.Time(ProfiledOperation.WeightProducts);
        // size() rather than shape: each read of shape crosses into libtorch once per dimension and allocates.
        var batch = x.size(0);
        var positions = x.size(1);
        if (_quantized is null && Kernel is { } described
            && SmallBatchLinear.TryMultiply(x, _weight, _bias, described, [batch, positions, described.Outputs]) is { } product)
            return product;
        var rows = x.reshape(batch * positions, -1);
        var y = _quantized is { } q8 ? q8.Multiply(rows, _bias) : Multiply(rows, _weight, _bias, _layout, x.dtype);
        return y.view(batch, positions, -1);
    }

    /// <summary>The decode kernels' view of the weight, read on first use (null where they cannot take it).</summary>
    private SmallBatchLinear.KernelWeight? Kernel
    {
        get
        {
            if (_kernelChecked) return _kernel;
            _kernel = SmallBatchLinear.Describe(_weight, _bias, _layout == LinearLayout.OutputMajor);
            _kernelChecked = true;
            return _kernel;
        }
    }

    /// <summary>x [m, in] times a weight of the given layout, plus the bias if any.</summary>
    /// <param name="resultType">
    /// The kernels' output dtype; libtorch's path always returns x's dtype (callers convert afterwards if needed).
    /// </param>
    /// <returns>[m, out]</returns>
    /// <remarks>
    /// Decoding (a few rows) is a memory-bound matrix-vector product: the SIMD kernels stream it as fast as MKL for
    /// float32 and about twice as fast as libtorch for bfloat16 (Runtime/Kernels). Prompt passes stay on libtorch's
    /// GEMM, which wants 2-D inputs (a 3-D bfloat16 input is ~25x slower), in float32 for bfloat16 weights where the
    /// CPU has no bfloat16 arithmetic (<see cref="BFloat16Products"/>), except float32 products on CPUs where libtorch's
    /// GEMM is the slower one, which take Steer's own (<see cref="PromptProducts"/>).
    /// </remarks>
    public static Tensor Multiply(Tensor x, Tensor weight, Tensor? bias, LinearLayout layout, ScalarType resultType)
    {
        var kernel = SmallBatchLinear.Handles(x, weight);
        if (!kernel && BFloat16Products.WidenToFloat32(x, weight))
        {
            using var x32 = x.to(ScalarType.Float32);
            using var weight32 = weight.to(ScalarType.Float32);
            using var bias32 = bias?.to(ScalarType.Float32);
            using var y32 = Multiply(x32, weight32, bias32, layout, ScalarType.Float32);
            return y32.to(ScalarType.BFloat16);
        }
        if (layout == LinearLayout.InputMajor)
        {
            // The input-major decode kernel always adds a bias; a bias-free input-major layer skips it.
            if (kernel && bias is not null) return SmallBatchLinear.InputMajor(x, weight, bias);
            return PromptProducts.TryMultiply(x, weight, bias, outputMajor: false)
                ?? (bias is null ? x.matmul(weight) : bias.addmm(x, weight));
        }
        if (!kernel) return PromptProducts.TryMultiply(x, weight, bias, outputMajor: true) ?? nn.functional.linear(x, weight, bias);
        var y = SmallBatchLinear.OutputMajor(x, weight, resultType);
        return bias is null ? y : y.add_(bias);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _quantized?.Dispose();
        base.Dispose(disposing);
    }
}
