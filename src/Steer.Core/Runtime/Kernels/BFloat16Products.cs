using TorchSharp;
using static TorchSharp.torch;

namespace Steer.Runtime.Kernels;

/// <summary>
/// Whether a bfloat16 matrix product of many rows (a prompt pass) should run in float32 instead. libtorch's bfloat16
/// GEMM is fast where the CPU multiplies bfloat16 itself (AVX512-BF16, AMX) and very slow elsewhere: on an AVX2-only
/// host, a 64-token prompt pass of the gpt2 shape ran at 5.6 tokens/s in bfloat16 against 500 in float32. There the
/// operands are widened to float32 (exact), multiplied by the float32 GEMM and the result rounded to bfloat16: what
/// the bfloat16 GEMM computes (float32 sums, one rounding at the end), up to the order of the sums.
/// </summary>
internal static class BFloat16Products
{
    /// <summary>
    /// From the CPU's flags; <c>STEER_BF16_GEMM=native</c> or <c>float32</c> forces a path (to compare them in
    /// <c>steer bench</c>). Tests set it directly.
    /// </summary>
    internal static bool Native { get; set; } = Environment.GetEnvironmentVariable("STEER_BF16_GEMM") switch
    {
        "native" => true,
        "float32" => false,
        _ => CpuMultipliesBFloat16(),
    };

    /// <summary>A product of <paramref name="x"/> and <paramref name="weight"/> that libtorch would run as a slow bfloat16 GEMM.</summary>
    public static bool WidenToFloat32(Tensor x, Tensor weight) =>
        !Native
        && weight.dtype == ScalarType.BFloat16
        && x.dtype == ScalarType.BFloat16
        && weight.device_type == DeviceType.CPU;

    /// <summary>
    /// Linux reports AVX512-BF16 and AMX-BF16 in /proc/cpuinfo. Elsewhere libtorch's own choice is kept: the
    /// bfloat16 hosts this was measured on were Linux.
    /// </summary>
    private static bool CpuMultipliesBFloat16()
    {
        const string cpuInfo = "/proc/cpuinfo";
        if (!OperatingSystem.IsLinux() || !File.Exists(cpuInfo)) return true;
        try
        {
            foreach (var line in File.ReadLines(cpuInfo))
                if (line.StartsWith("flags", StringComparison.Ordinal))
                    return line.Split(' ', ':', '\t').Any(flag => flag is "avx512_bf16" or "amx_bf16");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return true;
        }
        return true;
    }
}
