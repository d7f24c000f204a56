using TorchSharp;
using static TorchSharp.torch;

namespace Steer.Runtime.Kernels;

/// <summary>
/// Rotate-half RoPE of a decoding step's queries or keys in one pass, instead of the six libtorch operations
/// (narrow, negate, concatenate, two products, a sum) per tensor and layer whose dispatch outweighs a few heads'
/// arithmetic. It computes what those operations compute, rounding after each one for bfloat16:
/// out[j] = x[j]·cos[j] − x[j+h]·sin[j], out[j+h] = x[j+h]·cos[j+h] + x[j]·sin[j+h], h = head_dim / 2.
/// </summary>
internal static unsafe class RopeKernel
{
    /// <summary>Elements at most: a decoding step's heads; prompt passes stay on libtorch's vectorised operations.</summary>
    public const int MaxElements = 1 << 16;

    /// <param name="x">[batch, pos, heads, head_dim]</param>
    /// <param name="cos">[batch or 1, 1, pos, head_dim], as <paramref name="x"/>'s dtype; as is the sine.</param>
    public static bool Handles(Tensor x, Tensor cos) =>
        SmallBatchLinear.Enabled
        && x.device_type == DeviceType.CPU
        && x.dtype is ScalarType.Float32 or ScalarType.BFloat16
        && cos.dtype == x.dtype
        && x.dim() == 4 && x.is_contiguous() && cos.is_contiguous()
        && !x.requires_grad
        && x.numel() <= MaxElements;

    /// <returns>the rotated values, [batch, pos, heads, head_dim]</returns>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin)
    {
        var (batch, positions, heads, headDim) = ((int)x.size(0), (int)x.size(1), (int)x.size(2), (int)x.size(3));
        var angleRows = cos.size(0) == 1 ? 0 : positions;   // cos and sin are shared by the batch's rows, or per row
        var half = headDim / 2;
        var result = empty(x.shape, x.dtype, x.device);
        var bfloat16 = x.dtype == ScalarType.BFloat16;
        using var sinContiguous = sin.is_contiguous() ? null : sin.contiguous();
        fixed (byte* px = x.bytes)
        fixed (byte* pc = cos.bytes)
        fixed (byte* ps = (sinContiguous ?? sin).bytes)
        fixed (byte* pr = result.bytes)
        {
            for (var b = 0; b < batch; b++)
                for (var p = 0; p < positions; p++)
                {
                    var angle = ((long)b * angleRows + p) * headDim;
                    for (var h = 0; h < heads; h++)
                    {
                        var at = (((long)b * positions + p) * heads + h) * headDim;
                        if (bfloat16) RotateBFloat16((ushort*)px + at, (ushort*)pc + angle, (ushort*)ps + angle, (ushort*)pr + at, half);
                        else RotateFloat32((float*)px + at, (float*)pc + angle, (float*)ps + angle, (float*)pr + at, half);
                    }
                }
        }
        return result;
    }

    private static void RotateFloat32(float* x, float* cos, float* sin, float* y, int half)
    {
        for (var j = 0; j < half; j++)
        {
            var (a, b) = (x[j], x[j + half]);
            y[j] = a * cos[j] + -b * sin[j];
            y[j + half] = b * cos[j + half] + a * sin[j + half];
        }
    }

    private static void RotateBFloat16(ushort* x, ushort* cos, ushort* sin, ushort* y, int half)
    {
        static float F(ushort bits) => BFloat16Conversion.ToSingle(bits);
        static float R(float value) => BFloat16Conversion.RoundTrip(value);
        for (var j = 0; j < half; j++)
        {
            var (a, b) = (F(x[j]), F(x[j + half]));
            y[j] = BFloat16Conversion.ToBFloat16(R(a * F(cos[j])) + R(-b * F(sin[j])));
            y[j + half] = BFloat16Conversion.ToBFloat16(R(b * F(cos[j + half])) + R(a * F(sin[j + half])));
        }
    }
}
