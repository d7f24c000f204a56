using System.Runtime.Intrinsics.X86;
using TorchSharp;
using static TorchSharp.torch;

namespace Steer.Runtime.Kernels;

/// <summary>
/// The tensor side of <see cref="PanelGemm"/>: which float32 products of many rows (prompt passes, and every
/// position's logits when scoring) it takes instead of libtorch's GEMM. By default those of AMD CPUs with AVX-512,
/// where libtorch's MKL runs AVX2 kernels (see <see cref="PanelGemm"/>); on Intel CPUs MKL has AVX-512 kernels of its
/// own and keeps the products.
/// <c>STEER_F32_GEMM=steer</c> or <c>libtorch</c> forces one path (to compare them in <c>steer bench</c>).
/// </summary>
internal static unsafe class PromptProducts
{
    /// <summary>Tests set it directly.</summary>
    internal static bool Enabled { get; set; } = Environment.GetEnvironmentVariable("STEER_F32_GEMM") switch
    {
        "steer" => true,
        "libtorch" => false,
        _ => SimdLevels.Best == SimdLevel.Vector512 && IsAmd(),
    };

    /// <summary>
    /// x [m, in] times a float32 weight, W [in, out] or, when <paramref name="outputMajor"/>, E [out, in] (+ bias
    /// [out]), for float32 x on the CPU with more rows than the decode kernels take; null where this path does not apply.
    /// </summary>
    public static Tensor? TryMultiply(Tensor x, Tensor weight, Tensor? bias, bool outputMajor)
    {
        if (!Applies(x, weight, bias)) return null;
        var (inner, outputs) = outputMajor ? (weight.size(1), weight.size(0)) : (weight.size(0), weight.size(1));
        if (x.size(1) != inner || bias is not null && bias.numel() != outputs) return null;
        var rows = (int)x.size(0);
        var y = empty(rows, outputs);
        fixed (byte* px = x.bytes)
        fixed (byte* pw = weight.bytes)
        fixed (byte* pb = bias is null ? default : bias.bytes)
        fixed (byte* py = y.bytes)
        {
            if (outputMajor)
                PanelGemm.MultiplyTransposed((float*)px, rows, (int)inner, (float*)pw, (float*)pb, (int)outputs, (float*)py, SmallBatchLinear.Threads);
            else
                PanelGemm.Multiply((float*)px, rows, (int)inner, (float*)pw, (float*)pb, (int)outputs, (float*)py, SmallBatchLinear.Threads);
        }
        return y;
    }

    /// <summary>Float32 on the CPU, contiguous, 2-D, no autograd, more rows than the decode kernels take, sizes in int.</summary>
    private static bool Applies(Tensor x, Tensor weight, Tensor? bias) =>
        Enabled
        && x.dtype == ScalarType.Float32 && weight.dtype == ScalarType.Float32 && (bias is null || bias.dtype == ScalarType.Float32)
        && x.device_type == DeviceType.CPU && weight.device_type == DeviceType.CPU && x.dim() == 2 && weight.dim() == 2
        && !x.requires_grad && x.is_contiguous() && weight.is_contiguous() && (bias is null || bias.is_contiguous())
        && x.size(0) is > SmallBatchGemm.MaxRows and <= int.MaxValue
        && x.size(1) <= int.MaxValue && weight.size(0) <= int.MaxValue && weight.size(1) <= int.MaxValue;

    /// <summary>The CPU's vendor string (CPUID leaf 0) is AMD's.</summary>
    private static bool IsAmd()
    {
        if (!X86Base.IsSupported) return false;
        var (_, ebx, ecx, edx) = X86Base.CpuId(0, 0);
        return ebx == 0x68747541 && edx == 0x69746E65 && ecx == 0x444D4163; // "Auth" "enti" "cAMD"
    }
}
