using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Steer.Runtime.Kernels;

/// <summary>
/// y = x·W for GPT-2's Conv1D layout, W row-major [in, out]: y is a sum of rows of W scaled by elements of x,
/// so W is read front to back, which is what a matrix-vector product bound by memory bandwidth wants.
/// A range of W's rows adds into an accumulator [rows, out] that stays in L1/L2; threads take different
/// ranges into private accumulators that are summed at the end.
/// </summary>
internal static unsafe class RowStreamKernel
{
    /// <summary>Rows of W consumed per pass over the accumulator: one load and store of y per four FMAs.</summary>
    public const int RowUnroll = 4;

    /// <summary>
    /// Columns per block when x has several rows: four rows of W × 512 columns (8 KB in float32) stay in L1
    /// while every row of x uses them, so W comes from memory once however many rows x has.
    /// </summary>
    private const int ColumnBlock = 512;

    /// <summary>accumulator[i, :] += Σ_{k in [k0, k1)} x[i, k] · W[k, :]</summary>
    public static void Accumulate(in GemmArguments a, int k0, int k1, float* accumulator, SimdLevel level)
    {
        switch (level, a.Format)
        {
            case (SimdLevel.Vector512, WeightFormat.Float32): Accumulate<Avx512Ops, Vector512<float>, float>(a, k0, k1, accumulator); break;
            case (SimdLevel.Vector512, WeightFormat.BFloat16): Accumulate<Avx512Ops, Vector512<float>, ushort>(a, k0, k1, accumulator); break;
            case (SimdLevel.Vector256, WeightFormat.Float32): Accumulate<Avx2Ops, Vector256<float>, float>(a, k0, k1, accumulator); break;
            case (SimdLevel.Vector256, WeightFormat.BFloat16): Accumulate<Avx2Ops, Vector256<float>, ushort>(a, k0, k1, accumulator); break;
            case (SimdLevel.Scalar, WeightFormat.Float32): Accumulate<ScalarOps, float, float>(a, k0, k1, accumulator); break;
            case (SimdLevel.Scalar, WeightFormat.BFloat16): Accumulate<ScalarOps, float, ushort>(a, k0, k1, accumulator); break;
            default: throw new ArgumentOutOfRangeException(nameof(level));
        }
    }

    // AggressiveOptimization: compiled optimised at once. These run for milliseconds per call, so the tiered
    // JIT's unoptimised first version (with the vector helpers not inlined) would cost whole tokens.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Accumulate<TOps, TVec, TW>(in GemmArguments a, int k0, int k1, float* accumulator)
        where TOps : ISimdOps<TVec> where TVec : unmanaged where TW : unmanaged
    {
        var w = (TW*)a.Weight;
        var n = a.Outputs;
        var block = a.Rows == 1 ? n : ColumnBlock;
        var k = k0;
        for (; k + RowUnroll <= k1; k += RowUnroll)
        {
            var w0 = w + (long)k * n;
            for (var c0 = 0; c0 < n; c0 += block)
            {
                var c1 = Math.Min(n, c0 + block);
                var i = 0;
                for (; i + 2 <= a.Rows; i += 2)
                {
                    var x = a.X + (long)i * a.Inner + k;
                    FourRowsTwice<TOps, TVec, TW>(w0, n, x, x + a.Inner, accumulator + (long)i * n, accumulator + (long)(i + 1) * n, c0, c1);
                }
                for (; i < a.Rows; i++)
                {
                    var x = a.X + (long)i * a.Inner + k;
                    FourRows<TOps, TVec, TW>(w0, n, x[0], x[1], x[2], x[3], accumulator + (long)i * n, c0, c1);
                }
            }
        }
        for (; k < k1; k++)
            for (var i = 0; i < a.Rows; i++)
                OneRow<TOps, TVec, TW>(w + (long)k * n, a.X[(long)i * a.Inner + k], accumulator + (long)i * n, n);
    }

    /// <summary>y[c0..c1) += x0·w0 + x1·w1 + x2·w2 + x3·w3, the wj being consecutive rows of W.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FourRows<TOps, TVec, TW>(TW* w0, int n, float x0, float x1, float x2, float x3, float* y, int c0, int c1)
        where TOps : ISimdOps<TVec> where TVec : unmanaged where TW : unmanaged
    {
        TW* w1 = w0 + n, w2 = w1 + n, w3 = w2 + n;
        var ahead = RowUnroll * n;
        TVec b0 = TOps.Broadcast(x0), b1 = TOps.Broadcast(x1), b2 = TOps.Broadcast(x2), b3 = TOps.Broadcast(x3);
        var c = c0;
        for (; c <= c1 - TOps.Width; c += TOps.Width)
        {
            // Four interleaved streams of rows a few KB long are too short for the hardware prefetcher to get
            // ahead of: ask for the same columns of the next four rows (measured: bfloat16 rows of 768 columns
            // went from 13–17 to 20–24 GB/s on two cores). Past the last row this is a harmless no-op.
            TOps.Prefetch(w0 + ahead + c);
            TOps.Prefetch(w1 + ahead + c);
            TOps.Prefetch(w2 + ahead + c);
            TOps.Prefetch(w3 + ahead + c);
            // Two independent chains halve the FMA latency on the path to the store.
            var s01 = TOps.MultiplyAdd(Weights.Load<TOps, TVec, TW>(w0 + c), b0, TOps.Load(y + c));
            var s23 = TOps.Multiply(Weights.Load<TOps, TVec, TW>(w2 + c), b2);
            s01 = TOps.MultiplyAdd(Weights.Load<TOps, TVec, TW>(w1 + c), b1, s01);
            s23 = TOps.MultiplyAdd(Weights.Load<TOps, TVec, TW>(w3 + c), b3, s23);
            TOps.Store(y + c, TOps.Add(s01, s23));
        }
        for (; c < c1; c++)
            y[c] += x0 * Weights.Scalar(w0 + c) + x1 * Weights.Scalar(w1 + c) + x2 * Weights.Scalar(w2 + c) + x3 * Weights.Scalar(w3 + c);
    }

    /// <summary>
    /// <see cref="FourRows{TOps, TVec, TW}"/> for two rows of x at once (ya += xa·w, yb += xb·w): each vector of W is
    /// loaded and widened once for both, so a second row (a compare batch's steered row) costs its FMAs, not another
    /// pass of loads and bfloat16 widening.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FourRowsTwice<TOps, TVec, TW>(TW* w0, int n, float* xa, float* xb, float* ya, float* yb, int c0, int c1)
        where TOps : ISimdOps<TVec> where TVec : unmanaged where TW : unmanaged
    {
        TW* w1 = w0 + n, w2 = w1 + n, w3 = w2 + n;
        var ahead = RowUnroll * n;
        TVec a0 = TOps.Broadcast(xa[0]), a1 = TOps.Broadcast(xa[1]), a2 = TOps.Broadcast(xa[2]), a3 = TOps.Broadcast(xa[3]);
        TVec b0 = TOps.Broadcast(xb[0]), b1 = TOps.Broadcast(xb[1]), b2 = TOps.Broadcast(xb[2]), b3 = TOps.Broadcast(xb[3]);
        var c = c0;
        for (; c <= c1 - TOps.Width; c += TOps.Width)
        {
            TOps.Prefetch(w0 + ahead + c);
            TOps.Prefetch(w1 + ahead + c);
            TOps.Prefetch(w2 + ahead + c);
            TOps.Prefetch(w3 + ahead + c);
            var v0 = Weights.Load<TOps, TVec, TW>(w0 + c);
            var v1 = Weights.Load<TOps, TVec, TW>(w1 + c);
            var v2 = Weights.Load<TOps, TVec, TW>(w2 + c);
            var v3 = Weights.Load<TOps, TVec, TW>(w3 + c);
            // The same sums in the same order as FourRows, so a row's result does not depend on its neighbour.
            var s01 = TOps.MultiplyAdd(v1, a1, TOps.MultiplyAdd(v0, a0, TOps.Load(ya + c)));
            var s23 = TOps.MultiplyAdd(v3, a3, TOps.Multiply(v2, a2));
            TOps.Store(ya + c, TOps.Add(s01, s23));
            var t01 = TOps.MultiplyAdd(v1, b1, TOps.MultiplyAdd(v0, b0, TOps.Load(yb + c)));
            var t23 = TOps.MultiplyAdd(v3, b3, TOps.Multiply(v2, b2));
            TOps.Store(yb + c, TOps.Add(t01, t23));
        }
        for (; c < c1; c++)
        {
            float u0 = Weights.Scalar(w0 + c), u1 = Weights.Scalar(w1 + c), u2 = Weights.Scalar(w2 + c), u3 = Weights.Scalar(w3 + c);
            ya[c] += xa[0] * u0 + xa[1] * u1 + xa[2] * u2 + xa[3] * u3;
            yb[c] += xb[0] * u0 + xb[1] * u1 + xb[2] * u2 + xb[3] * u3;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void OneRow<TOps, TVec, TW>(TW* w, float x, float* y, int n)
        where TOps : ISimdOps<TVec> where TVec : unmanaged where TW : unmanaged
    {
        var b = TOps.Broadcast(x);
        var c = 0;
        for (; c <= n - TOps.Width; c += TOps.Width)
            TOps.Store(y + c, TOps.MultiplyAdd(Weights.Load<TOps, TVec, TW>(w + c), b, TOps.Load(y + c)));
        for (; c < n; c++)
            y[c] += x * Weights.Scalar(w + c);
    }
}
