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
    /// <summary>
    /// Rows of W consumed per pass over the accumulator: one load and store of y per eight FMAs. Against four rows
    /// (twice the passes over y), steer bench's batch-1 decode in bfloat16 went from 9.4–10.1 to 10.7–12.4 tokens/s
    /// on the gpt2-xl shape and from 86–120 to 133–142 on gpt2 (2 interleaved runs; float32 0.98–1.11×).
    /// </summary>
    public const int RowUnroll = 8;

    /// <summary>
    /// Columns per block when x has several rows: eight rows of W × 512 columns (16 KB in float32) stay in L1
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
                    EightRowsTwice<TOps, TVec, TW>(w0, n, x, x + a.Inner, accumulator + (long)i * n, accumulator + (long)(i + 1) * n, c0, c1);
                }
                for (; i < a.Rows; i++)
                    EightRows<TOps, TVec, TW>(w0, n, a.X + (long)i * a.Inner + k, accumulator + (long)i * n, c0, c1);
            }
        }
        for (; k < k1; k++)
            for (var i = 0; i < a.Rows; i++)
                OneRow<TOps, TVec, TW>(w + (long)k * n, a.X[(long)i * a.Inner + k], accumulator + (long)i * n, n);
    }

    /// <summary>y[c0..c1) += Σ_j x[j]·w_j over the eight consecutive rows w_j of W starting at w0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void EightRows<TOps, TVec, TW>(TW* w0, int n, float* x, float* y, int c0, int c1)
        where TOps : ISimdOps<TVec> where TVec : unmanaged where TW : unmanaged
    {
        TW* w1 = w0 + n, w2 = w1 + n, w3 = w2 + n, w4 = w3 + n, w5 = w4 + n, w6 = w5 + n, w7 = w6 + n;
        var ahead = RowUnroll * n;
        TVec b0 = TOps.Broadcast(x[0]), b1 = TOps.Broadcast(x[1]), b2 = TOps.Broadcast(x[2]), b3 = TOps.Broadcast(x[3]);
        TVec b4 = TOps.Broadcast(x[4]), b5 = TOps.Broadcast(x[5]), b6 = TOps.Broadcast(x[6]), b7 = TOps.Broadcast(x[7]);
        var c = c0;
        for (; c <= c1 - TOps.Width; c += TOps.Width)
        {
            // Eight interleaved streams of rows a few KB long are too short for the hardware prefetcher to get
            // ahead of: ask for the same columns of the next eight rows (measured with four rows: bfloat16 rows of
            // 768 columns went from 13–17 to 20–24 GB/s on two cores). Past the last row this is a harmless no-op.
            Prefetch<TOps, TVec, TW>(w0 + ahead + c, n);
            // Four independent chains cover the FMA latency on the path to the store. Combine sums the same way, but
            // broadcasts x inside the loop: calling it here gave 0.78–0.84x batch-1 bfloat16 decode in one interleaved
            // A/B on 2 cores, where two identical builds differ by 0.86–1.01x, so the broadcasts stay hoisted.
            var s01 = TOps.MultiplyAdd(Weights.Load<TOps, TVec, TW>(w0 + c), b0, TOps.Load(y + c));
            var s23 = TOps.Multiply(Weights.Load<TOps, TVec, TW>(w2 + c), b2);
            var s45 = TOps.Multiply(Weights.Load<TOps, TVec, TW>(w4 + c), b4);
            var s67 = TOps.Multiply(Weights.Load<TOps, TVec, TW>(w6 + c), b6);
            s01 = TOps.MultiplyAdd(Weights.Load<TOps, TVec, TW>(w1 + c), b1, s01);
            s23 = TOps.MultiplyAdd(Weights.Load<TOps, TVec, TW>(w3 + c), b3, s23);
            s45 = TOps.MultiplyAdd(Weights.Load<TOps, TVec, TW>(w5 + c), b5, s45);
            s67 = TOps.MultiplyAdd(Weights.Load<TOps, TVec, TW>(w7 + c), b7, s67);
            TOps.Store(y + c, TOps.Add(TOps.Add(s01, s23), TOps.Add(s45, s67)));
        }
        for (; c < c1; c++)
            y[c] += Tail(w0, n, c, x);
    }

    /// <summary>
    /// <see cref="EightRows{TOps, TVec, TW}"/> for two rows of x at once (ya += xa·w, yb += xb·w): each vector of W is
    /// loaded and widened once for both, so a second row (a compare batch's steered row) costs its FMAs, not another
    /// pass of loads and bfloat16 widening.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void EightRowsTwice<TOps, TVec, TW>(TW* w0, int n, float* xa, float* xb, float* ya, float* yb, int c0, int c1)
        where TOps : ISimdOps<TVec> where TVec : unmanaged where TW : unmanaged
    {
        TW* w1 = w0 + n, w2 = w1 + n, w3 = w2 + n, w4 = w3 + n, w5 = w4 + n, w6 = w5 + n, w7 = w6 + n;
        var ahead = RowUnroll * n;
        var c = c0;
        for (; c <= c1 - TOps.Width; c += TOps.Width)
        {
            Prefetch<TOps, TVec, TW>(w0 + ahead + c, n);
            var v0 = Weights.Load<TOps, TVec, TW>(w0 + c);
            var v1 = Weights.Load<TOps, TVec, TW>(w1 + c);
            var v2 = Weights.Load<TOps, TVec, TW>(w2 + c);
            var v3 = Weights.Load<TOps, TVec, TW>(w3 + c);
            var v4 = Weights.Load<TOps, TVec, TW>(w4 + c);
            var v5 = Weights.Load<TOps, TVec, TW>(w5 + c);
            var v6 = Weights.Load<TOps, TVec, TW>(w6 + c);
            var v7 = Weights.Load<TOps, TVec, TW>(w7 + c);
            // The same sums in the same order as EightRows, so a row's result does not depend on its neighbour.
            TOps.Store(ya + c, Combine<TOps, TVec>(v0, v1, v2, v3, v4, v5, v6, v7, xa, TOps.Load(ya + c)));
            TOps.Store(yb + c, Combine<TOps, TVec>(v0, v1, v2, v3, v4, v5, v6, v7, xb, TOps.Load(yb + c)));
        }
        for (; c < c1; c++)
        {
            ya[c] += Tail(w0, n, c, xa);
            yb[c] += Tail(w0, n, c, xb);
        }
    }

    /// <summary>y + Σ_j x[j]·v_j, summed exactly as <see cref="EightRows{TOps, TVec, TW}"/> sums it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVec Combine<TOps, TVec>(TVec v0, TVec v1, TVec v2, TVec v3, TVec v4, TVec v5, TVec v6, TVec v7, float* x, TVec y)
        where TOps : ISimdOps<TVec> where TVec : unmanaged
    {
        var s01 = TOps.MultiplyAdd(v1, TOps.Broadcast(x[1]), TOps.MultiplyAdd(v0, TOps.Broadcast(x[0]), y));
        var s23 = TOps.MultiplyAdd(v3, TOps.Broadcast(x[3]), TOps.Multiply(v2, TOps.Broadcast(x[2])));
        var s45 = TOps.MultiplyAdd(v5, TOps.Broadcast(x[5]), TOps.Multiply(v4, TOps.Broadcast(x[4])));
        var s67 = TOps.MultiplyAdd(v7, TOps.Broadcast(x[7]), TOps.Multiply(v6, TOps.Broadcast(x[6])));
        return TOps.Add(TOps.Add(s01, s23), TOps.Add(s45, s67));
    }

    /// <summary>The eight rows' sum at one column left over after the vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Tail<TW>(TW* w0, int n, int c, float* x) where TW : unmanaged
    {
        var sum = 0f;
        for (var j = 0; j < RowUnroll; j++) sum += x[j] * Weights.Scalar(w0 + (long)j * n + c);
        return sum;
    }

    /// <summary>Prefetches the same column of eight consecutive rows, once per cache line of each.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Prefetch<TOps, TVec, TW>(TW* p, int n)
        where TOps : ISimdOps<TVec> where TVec : unmanaged where TW : unmanaged
    {
        if (((nint)p & 63) >= TOps.Width * sizeof(TW)) return;
        for (var j = 0; j < RowUnroll; j++) TOps.Prefetch(p + (long)j * n);
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
