using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Steer.Runtime.Kernels;

/// <summary>
/// y = x·Eᵀ (+ bias) with E row-major [out, in], e.g. the tied unembedding (E = wte, [vocab, d_model]): every
/// output is the dot product of a row of x with a contiguous row of E. Threads take different ranges of E's rows
/// and write disjoint columns of y, so nothing needs summing afterwards.
/// </summary>
/// <remarks>
/// E is read as one sequential stream, a row at a time (the row stays in L1 for the other rows of x), with four
/// accumulators along the row to cover the FMA latency. Reading four rows side by side instead, as four short
/// streams, was 10–20% slower for bfloat16 rows of 768 (1.5 KB) even with the x loads shared.
/// </remarks>
internal static unsafe class DotProductKernel
{
    /// <summary>How far ahead of the loads to prefetch: measured best of 1, 2, 4 and 8 KB.</summary>
    private const int PrefetchBytes = 4096;

    /// <summary>y[:, v0..v1) = x · E[v0..v1, :]ᵀ + bias[v0..v1)</summary>
    public static void Compute(in GemmArguments a, int v0, int v1, SimdLevel level)
    {
        switch (level, a.Format)
        {
            case (SimdLevel.Vector512, WeightFormat.Float32): Compute<Avx512Ops, Vector512<float>, float>(a, v0, v1); break;
            case (SimdLevel.Vector512, WeightFormat.BFloat16): Compute<Avx512Ops, Vector512<float>, ushort>(a, v0, v1); break;
            case (SimdLevel.Vector256, WeightFormat.Float32): Compute<Avx2Ops, Vector256<float>, float>(a, v0, v1); break;
            case (SimdLevel.Vector256, WeightFormat.BFloat16): Compute<Avx2Ops, Vector256<float>, ushort>(a, v0, v1); break;
            case (SimdLevel.Scalar, WeightFormat.Float32): Compute<ScalarOps, float, float>(a, v0, v1); break;
            case (SimdLevel.Scalar, WeightFormat.BFloat16): Compute<ScalarOps, float, ushort>(a, v0, v1); break;
            default: throw new ArgumentOutOfRangeException(nameof(level));
        }
    }

    // AggressiveOptimization: see RowStreamKernel.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Compute<TOps, TVec, TW>(in GemmArguments a, int v0, int v1)
        where TOps : ISimdOps<TVec> where TVec : unmanaged where TW : unmanaged
    {
        var e = (TW*)a.Weight;
        var d = a.Inner;
        for (var v = v0; v < v1; v++)
        {
            var i = 0;
            for (; i + 2 <= a.Rows; i += 2)
            {
                var (sa, sb) = DotTwice<TOps, TVec, TW>(e + (long)v * d, a.X + (long)i * d, a.X + (long)(i + 1) * d, d);
                a.Y[(long)i * a.Outputs + v] = sa + a.BiasAt(v);
                a.Y[(long)(i + 1) * a.Outputs + v] = sb + a.BiasAt(v);
            }
            for (; i < a.Rows; i++)
                a.Y[(long)i * a.Outputs + v] = Dot<TOps, TVec, TW>(e + (long)v * d, a.X + (long)i * d, d) + a.BiasAt(v);
        }
    }

    /// <summary>
    /// <see cref="Dot{TOps, TVec, TW}"/> of one row of E with two rows of x, loading and widening E once; each sum
    /// is formed in the same order as <see cref="Dot{TOps, TVec, TW}"/>'s, so a row's result does not depend on its neighbour.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (float, float) DotTwice<TOps, TVec, TW>(TW* e, float* xa, float* xb, int d)
        where TOps : ISimdOps<TVec> where TVec : unmanaged where TW : unmanaged
    {
        TVec s0 = TOps.Zero, s1 = TOps.Zero, s2 = TOps.Zero, s3 = TOps.Zero;
        TVec t0 = TOps.Zero, t1 = TOps.Zero, t2 = TOps.Zero, t3 = TOps.Zero;
        var w = TOps.Width;
        var ahead = PrefetchBytes / sizeof(TW);
        var j = 0;
        for (; j <= d - 4 * w; j += 4 * w)
        {
            TOps.Prefetch(e + j + ahead);
            var v0 = Weights.Load<TOps, TVec, TW>(e + j);
            var v1 = Weights.Load<TOps, TVec, TW>(e + j + w);
            var v2 = Weights.Load<TOps, TVec, TW>(e + j + 2 * w);
            var v3 = Weights.Load<TOps, TVec, TW>(e + j + 3 * w);
            s0 = TOps.MultiplyAdd(v0, TOps.Load(xa + j), s0);
            s1 = TOps.MultiplyAdd(v1, TOps.Load(xa + j + w), s1);
            s2 = TOps.MultiplyAdd(v2, TOps.Load(xa + j + 2 * w), s2);
            s3 = TOps.MultiplyAdd(v3, TOps.Load(xa + j + 3 * w), s3);
            t0 = TOps.MultiplyAdd(v0, TOps.Load(xb + j), t0);
            t1 = TOps.MultiplyAdd(v1, TOps.Load(xb + j + w), t1);
            t2 = TOps.MultiplyAdd(v2, TOps.Load(xb + j + 2 * w), t2);
            t3 = TOps.MultiplyAdd(v3, TOps.Load(xb + j + 3 * w), t3);
        }
        for (; j <= d - w; j += w)
        {
            var v = Weights.Load<TOps, TVec, TW>(e + j);
            s0 = TOps.MultiplyAdd(v, TOps.Load(xa + j), s0);
            t0 = TOps.MultiplyAdd(v, TOps.Load(xb + j), t0);
        }
        var sa = TOps.Sum(TOps.Add(TOps.Add(s0, s1), TOps.Add(s2, s3)));
        var sb = TOps.Sum(TOps.Add(TOps.Add(t0, t1), TOps.Add(t2, t3)));
        for (; j < d; j++)
        {
            var u = Weights.Scalar(e + j);
            sa += xa[j] * u;
            sb += xb[j] * u;
        }
        return (sa, sb);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Dot<TOps, TVec, TW>(TW* e, float* x, int d)
        where TOps : ISimdOps<TVec> where TVec : unmanaged where TW : unmanaged
    {
        TVec s0 = TOps.Zero, s1 = TOps.Zero, s2 = TOps.Zero, s3 = TOps.Zero;
        var w = TOps.Width;
        var ahead = PrefetchBytes / sizeof(TW);
        var j = 0;
        for (; j <= d - 4 * w; j += 4 * w)
        {
            TOps.Prefetch(e + j + ahead);
            s0 = TOps.MultiplyAdd(Weights.Load<TOps, TVec, TW>(e + j), TOps.Load(x + j), s0);
            s1 = TOps.MultiplyAdd(Weights.Load<TOps, TVec, TW>(e + j + w), TOps.Load(x + j + w), s1);
            s2 = TOps.MultiplyAdd(Weights.Load<TOps, TVec, TW>(e + j + 2 * w), TOps.Load(x + j + 2 * w), s2);
            s3 = TOps.MultiplyAdd(Weights.Load<TOps, TVec, TW>(e + j + 3 * w), TOps.Load(x + j + 3 * w), s3);
        }
        for (; j <= d - w; j += w)
            s0 = TOps.MultiplyAdd(Weights.Load<TOps, TVec, TW>(e + j), TOps.Load(x + j), s0);
        var sum = TOps.Sum(TOps.Add(TOps.Add(s0, s1), TOps.Add(s2, s3)));
        for (; j < d; j++) sum += x[j] * Weights.Scalar(e + j);
        return sum;
    }
}
