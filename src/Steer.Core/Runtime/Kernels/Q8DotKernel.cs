using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Steer.Runtime.Kernels;

/// <summary>The instructions an int8 product runs with. Tests force each one; production takes <see cref="Q8Levels.Best"/>.</summary>
internal enum Q8Level
{
    Scalar,
    /// <summary>AVX2: <c>vpmaddubsw</c> on |w| and x with w's sign, then <c>vpmaddwd</c> (no overflow: 2·127·127 fits 16 bits).</summary>
    Avx2,
    /// <summary>AVX-VNNI: one <c>vpdpbusd</c> per block of 32 on |w| and x with w's sign.</summary>
    AvxVnni,
}

internal static class Q8Levels
{
    public static Q8Level Best { get; } =
        AvxVnni.IsSupported ? Q8Level.AvxVnni
        : Avx2.IsSupported && Fma.IsSupported ? Q8Level.Avx2
        : Q8Level.Scalar;

    public static bool IsSupported(Q8Level level) => level <= Best;
}

/// <summary>
/// y[:, v0..v1) = x · W[v0..v1, :]ᵀ (+ bias) for Q8_0 weights W [out, inner] (signed bytes, one float scale per
/// block of 32) and quantized activations x: per block, exact integer products, scaled by the two blocks' scales
/// and summed in float32. Each output is computed by one thread, so results do not depend on threading.
/// </summary>
/// <remarks>
/// Both vector paths multiply |w| (unsigned) by x·sign(w) (signed), as the instructions want one operand unsigned:
/// every partial sum is then a small exact integer (at most 8·127·127 per lane). Storing the weights offset by 128
/// instead saves the two sign operations but leaves lane sums near 128·Σ|x| that cancel only across lanes, which
/// loses float32 precision once the lanes are scaled.
/// </remarks>
internal static unsafe class Q8DotKernel
{
    /// <summary>
    /// How far ahead of the loads to prefetch: the float kernels' measured best (<see cref="DotProductKernel"/>).
    /// gpt2-large int8 batch-1 decode, interleaved runs: 28.7 and 31.6 tokens/s at 1 KB, 34.6 and 33.3 at 4 KB, 25.1
    /// and 34.8 at 8 KB (this machine's noise is about ±20%).
    /// </summary>
    private const int PrefetchBytes = 4096;

    public static void Compute(in Q8Activations x, sbyte* weights, float* scales, float* bias, int outputs, float* y, int v0, int v1, Q8Level level)
    {
        var inner = x.Inner;
        var blocks = x.Blocks;
        for (var v = v0; v < v1; v++)
        {
            var w = weights + (long)v * inner;
            var ws = scales + (long)v * blocks;
            var row = 0;
            if (level is Q8Level.Avx2 or Q8Level.AvxVnni)
                for (; row + 2 <= x.Rows; row += 2)
                {
                    var xq = x.Quants + (long)row * inner;
                    var xs = x.Scales + (long)row * blocks;
                    var (a, b) = level == Q8Level.AvxVnni
                        ? DotVnniTwice(w, ws, xq, xs, xq + inner, xs + blocks, blocks)
                        : DotAvx2Twice(w, ws, xq, xs, xq + inner, xs + blocks, blocks);
                    y[(long)row * outputs + v] = a + (bias is null ? 0f : bias[v]);
                    y[(long)(row + 1) * outputs + v] = b + (bias is null ? 0f : bias[v]);
                }
            for (; row < x.Rows; row++)
            {
                var xq = x.Quants + (long)row * inner;
                var xs = x.Scales + (long)row * blocks;
                var dot = level switch
                {
                    Q8Level.AvxVnni => DotVnni(w, ws, xq, xs, blocks),
                    Q8Level.Avx2 => DotAvx2(w, ws, xq, xs, blocks),
                    _ => DotScalar(w, ws, xq, xs, blocks),
                };
                y[(long)row * outputs + v] = dot + (bias is null ? 0f : bias[v]);
            }
        }
    }

    // AggressiveOptimization: see RowStreamKernel; these run for milliseconds per call.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float DotVnni(sbyte* w, float* ws, sbyte* x, float* xs, int blocks)
    {
        Vector256<float> s0 = Vector256<float>.Zero, s1 = Vector256<float>.Zero;
        var b = 0;
        for (; b + 2 <= blocks; b += 2)
        {
            Sse.Prefetch1(w + PrefetchBytes);
            var w0 = Vector256.Load(w);
            var w1 = Vector256.Load(w + 32);
            var p0 = AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, Avx2.Abs(w0), Avx2.Sign(Vector256.Load(x), w0));
            var p1 = AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, Avx2.Abs(w1), Avx2.Sign(Vector256.Load(x + 32), w1));
            s0 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(p0), Vector256.Create(ws[b] * xs[b]), s0);
            s1 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(p1), Vector256.Create(ws[b + 1] * xs[b + 1]), s1);
            w += 64;
            x += 64;
        }
        if (b < blocks)
        {
            var w0 = Vector256.Load(w);
            var p = AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, Avx2.Abs(w0), Avx2.Sign(Vector256.Load(x), w0));
            s0 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(p), Vector256.Create(ws[b] * xs[b]), s0);
        }
        return Vector256.Sum(s0 + s1);
    }

    /// <summary>
    /// <see cref="DotVnni"/> of one weight row with two activation rows (a compare batch's unsteered and steered row):
    /// the weights are loaded and made unsigned once, and each row's two chains are formed exactly as
    /// <see cref="DotVnni"/> forms them, so a row's result does not depend on its neighbour.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (float, float) DotVnniTwice(sbyte* w, float* ws, sbyte* xa, float* xsa, sbyte* xb, float* xsb, int blocks)
    {
        Vector256<float> a0 = Vector256<float>.Zero, a1 = Vector256<float>.Zero;
        Vector256<float> b0 = Vector256<float>.Zero, b1 = Vector256<float>.Zero;
        var b = 0;
        for (; b + 2 <= blocks; b += 2)
        {
            Sse.Prefetch1(w + PrefetchBytes);
            var w0 = Vector256.Load(w);
            var w1 = Vector256.Load(w + 32);
            var m0 = Avx2.Abs(w0);
            var m1 = Avx2.Abs(w1);
            var pa0 = AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, m0, Avx2.Sign(Vector256.Load(xa), w0));
            var pa1 = AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, m1, Avx2.Sign(Vector256.Load(xa + 32), w1));
            var pb0 = AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, m0, Avx2.Sign(Vector256.Load(xb), w0));
            var pb1 = AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, m1, Avx2.Sign(Vector256.Load(xb + 32), w1));
            a0 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(pa0), Vector256.Create(ws[b] * xsa[b]), a0);
            a1 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(pa1), Vector256.Create(ws[b + 1] * xsa[b + 1]), a1);
            b0 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(pb0), Vector256.Create(ws[b] * xsb[b]), b0);
            b1 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(pb1), Vector256.Create(ws[b + 1] * xsb[b + 1]), b1);
            w += 64;
            xa += 64;
            xb += 64;
        }
        if (b < blocks)
        {
            var w0 = Vector256.Load(w);
            var m0 = Avx2.Abs(w0);
            var pa = AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, m0, Avx2.Sign(Vector256.Load(xa), w0));
            var pb = AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, m0, Avx2.Sign(Vector256.Load(xb), w0));
            a0 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(pa), Vector256.Create(ws[b] * xsa[b]), a0);
            b0 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(pb), Vector256.Create(ws[b] * xsb[b]), b0);
        }
        return (Vector256.Sum(a0 + a1), Vector256.Sum(b0 + b1));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float DotAvx2(sbyte* w, float* ws, sbyte* x, float* xs, int blocks)
    {
        var ones = Vector256.Create((short)1);
        var sum = Vector256<float>.Zero;
        for (var b = 0; b < blocks; b++)
        {
            Sse.Prefetch1(w + PrefetchBytes);
            var signed = Vector256.Load(w);
            var pairs = Avx2.MultiplyAddAdjacent(Avx2.Abs(signed), Avx2.Sign(Vector256.Load(x), signed)); // 16 × (2 products)
            var products = Avx2.MultiplyAddAdjacent(pairs, ones);                                         // 8 × int32
            sum = Fma.MultiplyAdd(Avx.ConvertToVector256Single(products), Vector256.Create(ws[b] * xs[b]), sum);
            w += 32;
            x += 32;
        }
        return Vector256.Sum(sum);
    }

    /// <summary>
    /// <see cref="DotAvx2"/> of one weight row with two activation rows: the weights are loaded and made unsigned once,
    /// and the two sums are independent chains (one row alone waits on its own fused multiply-adds). Each row's sum is
    /// formed exactly as <see cref="DotAvx2"/> forms it, so a row's result does not depend on its neighbour.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (float, float) DotAvx2Twice(sbyte* w, float* ws, sbyte* xa, float* xsa, sbyte* xb, float* xsb, int blocks)
    {
        var ones = Vector256.Create((short)1);
        Vector256<float> sumA = Vector256<float>.Zero, sumB = Vector256<float>.Zero;
        for (var b = 0; b < blocks; b++)
        {
            Sse.Prefetch1(w + PrefetchBytes);
            var signed = Vector256.Load(w);
            var magnitude = Avx2.Abs(signed);
            var pairsA = Avx2.MultiplyAddAdjacent(magnitude, Avx2.Sign(Vector256.Load(xa), signed));
            var pairsB = Avx2.MultiplyAddAdjacent(magnitude, Avx2.Sign(Vector256.Load(xb), signed));
            sumA = Fma.MultiplyAdd(Avx.ConvertToVector256Single(Avx2.MultiplyAddAdjacent(pairsA, ones)), Vector256.Create(ws[b] * xsa[b]), sumA);
            sumB = Fma.MultiplyAdd(Avx.ConvertToVector256Single(Avx2.MultiplyAddAdjacent(pairsB, ones)), Vector256.Create(ws[b] * xsb[b]), sumB);
            w += 32;
            xa += 32;
            xb += 32;
        }
        return (Vector256.Sum(sumA), Vector256.Sum(sumB));
    }

    /// <summary>The reference the vector paths are tested against, and the fallback without AVX2.</summary>
    internal static float DotScalar(sbyte* w, float* ws, sbyte* x, float* xs, int blocks)
    {
        var sum = 0f;
        for (var b = 0; b < blocks; b++)
        {
            var dot = 0;
            for (var i = 0; i < Q8Blocks.BlockSize; i++) dot += w[b * Q8Blocks.BlockSize + i] * x[b * Q8Blocks.BlockSize + i];
            sum += dot * (ws[b] * xs[b]);
        }
        return sum;
    }
}
