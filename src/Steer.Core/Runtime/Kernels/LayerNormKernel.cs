using System.Numerics;
using TorchSharp;
using static TorchSharp.torch;

namespace Steer.Runtime.Kernels;

/// <summary>
/// LayerNorm of the few rows of a decoding step in one call, instead of libtorch's layer_norm, whose dispatch and
/// statistics tensors cost more than the arithmetic when a row has a few hundred values (about 25 µs a call on the
/// gpt2 shape, 0.6 ms of a 25-norm step, measured with <c>steer bench --profile</c>). The arithmetic is libtorch's:
/// float32 statistics with the biased variance, then (x·rstd − mean·rstd)·γ + β in float32, rounded once to the
/// input's dtype.
/// </summary>
internal static unsafe class LayerNormKernel
{
    [ThreadStatic] private static float[]? _row;

    /// <summary>Whether <paramref name="x"/> [..., dim] with <paramref name="weight"/> and <paramref name="bias"/> [dim] can take the kernel.</summary>
    public static bool Handles(Tensor x, Tensor weight, Tensor bias) =>
        RmsNormKernel.Handles(x, weight) && bias.dtype == x.dtype && bias.is_contiguous() && bias.numel() == weight.numel();

    /// <returns>γ ⊙ (x − mean) / √(var + ε) + β per row, in x's dtype and shape</returns>
    public static Tensor Apply(Tensor x, Tensor weight, Tensor bias, double eps) => Run(x, weight, bias, eps, normalize: true);

    /// <summary>
    /// The normalised rows alone (TransformerLens's <c>hook_normalized</c>); in float32, <see cref="Affine"/> of this is
    /// bit for bit <see cref="Apply"/>, so a hook that changes nothing changes no bit.
    /// </summary>
    public static Tensor Normalize(Tensor x, Tensor weight, double eps) => Run(x, weight, null, eps, normalize: true, affine: false);

    /// <returns>γ ⊙ normalized + β, in normalized's dtype and shape</returns>
    public static Tensor Affine(Tensor normalized, Tensor weight, Tensor bias) => Run(normalized, weight, bias, 0, normalize: false);

    private static Tensor Run(Tensor x, Tensor weight, Tensor? bias, double eps, bool normalize, bool affine = true)
    {
        var dim = (int)weight.numel();
        var rows = (int)(x.numel() / dim);
        var result = empty_like(x);   // x is contiguous (Handles), so the result is too
        var bfloat16 = x.dtype == ScalarType.BFloat16;
        // bfloat16 rows and parameters are widened into one buffer: [row | γ | β].
        var buffer = _row is { } b && b.Length >= 3 * dim ? b : _row = new float[Math.Max(3 * dim, 3072)];
        fixed (byte* px = x.bytes)
        fixed (byte* pw = weight.bytes)
        fixed (byte* pb = bias is null ? default : bias.bytes)
        fixed (byte* pr = result.bytes)
        fixed (float* widened = buffer)
        {
            float* gamma = (float*)pw, beta = (float*)pb;
            if (bfloat16 && affine)
            {
                gamma = widened + dim;
                beta = widened + 2 * dim;
                BFloat16Conversion.Widen((ushort*)pw, gamma, dim);
                BFloat16Conversion.Widen((ushort*)pb, beta, dim);
            }
            var row = new Row(dim, gamma, beta, affine);
            for (var i = 0; i < rows; i++)
            {
                var values = (float*)px + (long)i * dim;
                if (bfloat16)
                {
                    values = widened;
                    BFloat16Conversion.Widen((ushort*)px + (long)i * dim, values, dim);
                }
                var (rstd, shift) = (1f, 0f);
                if (normalize)
                {
                    var mean = Mean(values, dim);
                    rstd = 1f / MathF.Sqrt(SquaredDeviations(values, dim, mean) / dim + (float)eps);
                    shift = -mean * rstd;
                }
                if (bfloat16) row.WriteBFloat16(values, rstd, shift, (ushort*)pr + (long)i * dim);
                else row.Write(values, rstd, shift, (float*)pr + (long)i * dim);
            }
        }
        return result;
    }

    /// <summary>
    /// One output row: (x·rstd + shift)·γ + β, or x·rstd + shift without the affine part, each product and sum rounded
    /// to float32 (never fused), so that normalising and then applying the affine part give the one-pass bits.
    /// </summary>
    private readonly struct Row(int dim, float* gamma, float* beta, bool affine)
    {
        public void Write(float* values, float rstd, float shift, float* output)
        {
            var scale = new Vector<float>(rstd);
            var offset = new Vector<float>(shift);
            var i = 0;
            if (affine)
            {
                for (; i <= dim - Vector<float>.Count; i += Vector<float>.Count)
                    ((Vector.Load(values + i) * scale + offset) * Vector.Load(gamma + i) + Vector.Load(beta + i)).Store(output + i);
                for (; i < dim; i++) output[i] = (values[i] * rstd + shift) * gamma[i] + beta[i];
            }
            else
            {
                for (; i <= dim - Vector<float>.Count; i += Vector<float>.Count)
                    (Vector.Load(values + i) * scale + offset).Store(output + i);
                for (; i < dim; i++) output[i] = values[i] * rstd + shift;
            }
        }

        public void WriteBFloat16(float* values, float rstd, float shift, ushort* output)
        {
            for (var j = 0; j < dim; j++)
            {
                var normalized = values[j] * rstd + shift;
                output[j] = BFloat16Conversion.ToBFloat16(affine ? normalized * gamma[j] + beta[j] : normalized);
            }
        }
    }

    /// <summary>
    /// The row's mean, summed as deviations from its first value: a row far from zero (a large residual stream) then
    /// sums small numbers, so float32 keeps their digits.
    /// </summary>
    private static float Mean(float* values, int count)
    {
        var shift = values[0];
        var centre = new Vector<float>(shift);
        var sum = Vector<float>.Zero;
        var i = 0;
        for (; i <= count - Vector<float>.Count; i += Vector<float>.Count) sum += Vector.Load(values + i) - centre;
        var total = Vector.Sum(sum);
        for (; i < count; i++) total += values[i] - shift;
        return shift + total / count;
    }

    /// <summary>Σ (x − mean)², a second pass over the row, which a few hundred values keep in L1.</summary>
    private static float SquaredDeviations(float* values, int count, float mean)
    {
        var sum = Vector<float>.Zero;
        var centre = new Vector<float>(mean);
        var i = 0;
        for (; i <= count - Vector<float>.Count; i += Vector<float>.Count)
        {
            var d = Vector.Load(values + i) - centre;
            sum += d * d;
        }
        var total = Vector.Sum(sum);
        for (; i < count; i++) total += (values[i] - mean) * (values[i] - mean);
        return total;
    }
}
