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
            for (var i = 0; i < a.Rows; i++)
                a.Y[(long)i * a.Outputs + v] = Dot<TOps, TVec, TW>(e + (long)v * d, a.X + (long)i * d, d) + a.BiasAt(v);
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
