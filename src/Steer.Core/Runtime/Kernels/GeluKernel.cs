using System.Numerics;
using TorchSharp;
using static TorchSharp.torch;

namespace Steer.Runtime.Kernels;

/// <summary>
/// GPT-2's <c>gelu_new</c>, 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), for a decoding step's few rows in one call
/// instead of libtorch's gelu (about 30 µs a call for 3,072 values on the gpt2 shape, measured with
/// <c>steer bench --profile</c>, most of it dispatch). It is computed in float32 as x·σ(2u) = x / (1 + e^(−2u)), the
/// same function with one exponential; bfloat16 is widened and rounded once, as libtorch does. Within 1.1e-7·|x| of
/// the definition in float64, as libtorch's is (9.7e-8), not bit for bit libtorch's (GeluKernelTests).
/// </summary>
internal static unsafe class GeluKernel
{
    /// <summary>Values at most: a decoding step's rows of the MLP's hidden layer (4 rows of gpt2-xl's 6,400 fit).</summary>
    public const long MaxValues = 1 << 15;

    private static readonly float TwoRootTwoOverPi = (float)(2 * Math.Sqrt(2 / Math.PI));
    private const float Cubic = 0.044715f;

    [ThreadStatic] private static float[]? _buffer;

    public static bool Handles(Tensor x) =>
        SmallBatchLinear.Enabled
        && x.device_type == DeviceType.CPU
        && x.dtype is ScalarType.Float32 or ScalarType.BFloat16
        && x.is_contiguous() && !x.requires_grad
        && x.numel() is >= 1 and <= MaxValues;

    /// <returns>gelu_new(x) in x's dtype and shape</returns>
    public static Tensor Apply(Tensor x)
    {
        var count = (int)x.numel();
        var result = empty_like(x);   // x is contiguous (Handles), so the result is too
        fixed (byte* px = x.bytes)
        fixed (byte* pr = result.bytes)
        {
            if (x.dtype == ScalarType.Float32)
                Compute((float*)px, (float*)pr, count);
            else
            {
                var buffer = _buffer is { } b && b.Length >= count ? b : _buffer = new float[Math.Max(count, 8192)];
                fixed (float* widened = buffer)
                {
                    BFloat16Conversion.Widen((ushort*)px, widened, count);
                    Compute(widened, widened, count);
                    BFloat16Conversion.Round(widened, (ushort*)pr, count);
                }
            }
        }
        return result;
    }

    /// <summary>y = x / (1 + e^(−2u)), u = √(2/π)·(x + 0.044715·x³); <paramref name="y"/> may be <paramref name="x"/>.</summary>
    private static void Compute(float* x, float* y, int count)
    {
        var scale = new Vector<float>(-TwoRootTwoOverPi);
        var cubic = new Vector<float>(Cubic);
        var i = 0;
        for (; i <= count - Vector<float>.Count; i += Vector<float>.Count)
        {
            var v = Vector.Load(x + i);
            var e = Vector.Exp(scale * (v + cubic * v * v * v));
            (v / (Vector<float>.One + e)).Store(y + i);
        }
        for (; i < count; i++)
        {
            var v = x[i];
            y[i] = v / (1 + MathF.Exp(-TwoRootTwoOverPi * (v + Cubic * v * v * v)));
        }
    }
}
