using System.Numerics;
using TorchSharp;
using static TorchSharp.torch;

namespace Steer.Runtime.Kernels;

/// <summary>
/// RMSNorm of the few rows of a decoding step in one pass over memory, instead of the eight libtorch operations
/// (widen, square, mean, add, rsqrt, multiply, round, scale) whose dispatch costs more than the arithmetic when a
/// row has a few hundred values. The arithmetic is Hugging Face's: float32 statistics, x / √(mean(x²) + ε) rounded
/// to the input's dtype, then times the weight in that dtype.
/// </summary>
internal static unsafe class RmsNormKernel
{
    /// <summary>Rows at most: a decoding step's few rows, or their heads for Qwen3's q/k norms; beyond, libtorch is as fast.</summary>
    public const int MaxRows = 64;

    [ThreadStatic] private static float[]? _row;

    /// <summary>Whether <paramref name="x"/> [..., dim] with <paramref name="weight"/> [dim] can take the kernel.</summary>
    public static bool Handles(Tensor x, Tensor weight) =>
        SmallBatchLinear.Enabled
        && x.device_type == DeviceType.CPU
        && x.dtype == weight.dtype
        && x.dtype is ScalarType.Float32 or ScalarType.BFloat16
        && x.is_contiguous() && weight.is_contiguous()
        && !x.requires_grad
        && x.numel() / weight.numel() is >= 1 and <= MaxRows;

    /// <returns>weight ⊙ x / √(mean(x²) + ε) per row, in x's dtype and shape</returns>
    public static Tensor Apply(Tensor x, Tensor weight, double eps)
    {
        var dim = (int)weight.numel();
        var rows = (int)(x.numel() / dim);
        var result = empty_like(x);   // x is contiguous (Handles), so the result is too
        var row = _row is { } buffer && buffer.Length >= dim ? buffer : _row = new float[Math.Max(dim, 1024)];
        var bfloat16 = x.dtype == ScalarType.BFloat16;
        fixed (byte* px = x.bytes)
        fixed (byte* pw = weight.bytes)
        fixed (byte* pr = result.bytes)
        fixed (float* r = row)
        {
            for (var i = 0; i < rows; i++)
            {
                if (bfloat16) BFloat16Conversion.Widen((ushort*)px + (long)i * dim, r, dim);
                var values = bfloat16 ? r : (float*)px + (long)i * dim;
                var scale = 1f / MathF.Sqrt(SumOfSquares(values, dim) / dim + (float)eps);
                if (bfloat16)
                {
                    var w = (ushort*)pw;
                    var output = (ushort*)pr + (long)i * dim;
                    for (var j = 0; j < dim; j++)
                    {
                        var normalized = BFloat16Conversion.RoundTrip(values[j] * scale);
                        output[j] = BFloat16Conversion.ToBFloat16(normalized * BFloat16Conversion.ToSingle(w[j]));
                    }
                }
                else
                {
                    var w = (float*)pw;
                    var output = (float*)pr + (long)i * dim;
                    for (var j = 0; j < dim; j++) output[j] = values[j] * scale * w[j];
                }
            }
        }
        return result;
    }

    private static float SumOfSquares(float* values, int count)
    {
        var sum = Vector<float>.Zero;
        var i = 0;
        for (; i <= count - Vector<float>.Count; i += Vector<float>.Count)
        {
            var v = Vector.Load(values + i);
            sum += v * v;
        }
        var total = Vector.Sum(sum);
        for (; i < count; i++) total += values[i] * values[i];
        return total;
    }
}
