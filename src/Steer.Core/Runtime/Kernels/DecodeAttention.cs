using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using TorchSharp;
using static TorchSharp.torch;

namespace Steer.Runtime.Kernels;

/// <summary>
/// One decoding step's attention over the KV cache, read in place: for each head, scores q·k_t/√d over the cached
/// keys, their softmax, and Σ p_t·v_t, in float32 (bfloat16 caches are widened as they are read, the output rounded
/// to nearest even). Grouped-query heads read their shared key-value head. It replaces scaled_dot_product_attention
/// for unmasked one-query steps, where libtorch falls back to a matrix-vector path that copies and converts the
/// cache (bfloat16: about 15% of a GPT-2-small decoding step at a 400-token context, measured with perf).
/// </summary>
internal static unsafe class DecodeAttention
{
    /// <summary>Below this many cache values per step the heads run on the calling thread.</summary>
    private const long MinParallelValues = 1 << 16;

    [ThreadStatic] private static float[]? _scores;

    /// <param name="q">[batch, heads, 1, head_dim]</param>
    /// <param name="keys">the layer's whole cache, [batch, kv_heads, capacity, head_dim]; as is <paramref name="values"/></param>
    public static bool Handles(Tensor q, Tensor keys, Tensor values) =>
        SmallBatchLinear.Enabled
        && SimdLevels.Best != SimdLevel.Scalar
        && q.device_type == DeviceType.CPU && !q.requires_grad
        && q.dim() == 4 && q.size(2) == 1
        && q.dtype is ScalarType.Float32 or ScalarType.BFloat16
        && keys.dtype == q.dtype && values.dtype == q.dtype
        && keys.is_contiguous() && values.is_contiguous()
        && keys.dim() == 4 && keys.size(0) == q.size(0) && keys.size(3) == q.size(3)
        && q.size(1) % keys.size(1) == 0;

    /// <param name="length">cached positions to attend to, the step's own included</param>
    /// <returns>[batch, heads, 1, head_dim] in q's dtype</returns>
    public static Tensor Compute(Tensor q, Tensor keys, Tensor values, int length)
    {
        var (batch, heads, headDim) = ((int)q.size(0), (int)q.size(1), (int)q.size(3));
        if (length < 1 || length > keys.size(2)) throw new ArgumentOutOfRangeException(nameof(length));
        var result = empty([batch, heads, 1, headDim], q.dtype, q.device);
        using var queries = q.is_contiguous() ? null : q.contiguous();
        fixed (byte* pq = (queries ?? q).bytes)
        fixed (byte* pk = keys.bytes)
        fixed (byte* pv = values.bytes)
        fixed (byte* pr = result.bytes)
        {
            var job = new Job
            {
                Q = pq,
                K = pk,
                V = pv,
                Result = pr,
                Heads = heads,
                KvHeads = (int)keys.size(1),
                HeadDim = headDim,
                Capacity = (int)keys.size(2),
                Length = length,
                BFloat16 = q.dtype == ScalarType.BFloat16,
                Scale = 1f / MathF.Sqrt(headDim),
            };
            var pairs = batch * heads;
            var threads = (long)pairs * length * headDim >= MinParallelValues ? SmallBatchLinear.Threads : 1;
            KernelTeam.Run(&Head, &job, pairs, threads);
        }
        return result;
    }

    private struct Job
    {
        public byte* Q, K, V, Result;
        public int Heads, KvHeads, HeadDim, Capacity, Length;
        public bool BFloat16;
        public float Scale;
    }

    private static void Head(void* state, int pair)
    {
        var job = (Job*)state;
        switch (SimdLevels.Best, job->BFloat16)
        {
            case (SimdLevel.Vector512, false): Head<Avx512Ops, Vector512<float>, float>(job, pair); break;
            case (SimdLevel.Vector512, true): Head<Avx512Ops, Vector512<float>, ushort>(job, pair); break;
            case (_, false): Head<Avx2Ops, Vector256<float>, float>(job, pair); break;
            default: Head<Avx2Ops, Vector256<float>, ushort>(job, pair); break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Head<TOps, TVec, TW>(Job* job, int pair)
        where TOps : ISimdOps<TVec> where TVec : unmanaged where TW : unmanaged
    {
        var d = job->HeadDim;
        var (b, h) = (pair / job->Heads, pair % job->Heads);
        var kvHead = h / (job->Heads / job->KvHeads);
        var offset = ((long)b * job->KvHeads + kvHead) * job->Capacity * d;
        var k = (TW*)job->K + offset;
        var v = (TW*)job->V + offset;
        var scores = Buffer(ref _scores, job->Length + d * 2);
        fixed (float* s = scores)
        {
            var q = s + job->Length;          // [head_dim], float32
            var z = q + d;                    // [head_dim], float32
            var source = (TW*)job->Q + (long)pair * d;
            for (var j = 0; j < d; j++) q[j] = Weights.Scalar(source + j);

            var max = float.NegativeInfinity;
            var t = 0;
            // Four keys at a time: four independent sums instead of one chain of FMA latencies, each key's sum formed
            // exactly as alone.
            for (; t + 4 <= job->Length; t += 4)
            {
                Dot4<TOps, TVec, TW>(q, k + (long)t * d, d, s + t);
                for (var i = t; i < t + 4; i++) max = MathF.Max(max, s[i] *= job->Scale);
            }
            for (; t < job->Length; t++)
            {
                s[t] = Dot<TOps, TVec, TW>(q, k + (long)t * d, d) * job->Scale;
                max = MathF.Max(max, s[t]);
            }
            var sum = 0f;
            for (t = 0; t < job->Length; t++) sum += s[t] = MathF.Exp(s[t] - max);

            new Span<float>(z, d).Clear();
            for (t = 0; t + 4 <= job->Length; t += 4) AddScaled4<TOps, TVec, TW>(z, v + (long)t * d, s + t, d);
            for (; t < job->Length; t++) AddScaled<TOps, TVec, TW>(z, v + (long)t * d, s[t], d);
            var inverse = 1f / sum;
            for (var j = 0; j < d; j++) z[j] *= inverse;
            if (typeof(TW) == typeof(ushort)) BFloat16Conversion.Round(z, (ushort*)job->Result + (long)pair * d, d);
            else new Span<float>(z, d).CopyTo(new Span<float>((float*)job->Result + (long)pair * d, d));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Dot<TOps, TVec, TW>(float* q, TW* k, int d)
        where TOps : ISimdOps<TVec> where TVec : unmanaged where TW : unmanaged
    {
        var sum = TOps.Zero;
        var j = 0;
        for (; j <= d - TOps.Width; j += TOps.Width) sum = TOps.MultiplyAdd(Weights.Load<TOps, TVec, TW>(k + j), TOps.Load(q + j), sum);
        var total = TOps.Sum(sum);
        for (; j < d; j++) total += q[j] * Weights.Scalar(k + j);
        return total;
    }

    /// <summary>scores[0..4) = the <see cref="Dot{TOps, TVec, TW}"/>s of q with four consecutive keys, each summed in Dot's order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Dot4<TOps, TVec, TW>(float* q, TW* k, int d, float* scores)
        where TOps : ISimdOps<TVec> where TVec : unmanaged where TW : unmanaged
    {
        TW* k1 = k + d, k2 = k1 + d, k3 = k2 + d;
        TVec s0 = TOps.Zero, s1 = TOps.Zero, s2 = TOps.Zero, s3 = TOps.Zero;
        var j = 0;
        for (; j <= d - TOps.Width; j += TOps.Width)
        {
            var x = TOps.Load(q + j);
            s0 = TOps.MultiplyAdd(Weights.Load<TOps, TVec, TW>(k + j), x, s0);
            s1 = TOps.MultiplyAdd(Weights.Load<TOps, TVec, TW>(k1 + j), x, s1);
            s2 = TOps.MultiplyAdd(Weights.Load<TOps, TVec, TW>(k2 + j), x, s2);
            s3 = TOps.MultiplyAdd(Weights.Load<TOps, TVec, TW>(k3 + j), x, s3);
        }
        float t0 = TOps.Sum(s0), t1 = TOps.Sum(s1), t2 = TOps.Sum(s2), t3 = TOps.Sum(s3);
        for (; j < d; j++)
        {
            t0 += q[j] * Weights.Scalar(k + j);
            t1 += q[j] * Weights.Scalar(k1 + j);
            t2 += q[j] * Weights.Scalar(k2 + j);
            t3 += q[j] * Weights.Scalar(k3 + j);
        }
        (scores[0], scores[1], scores[2], scores[3]) = (t0, t1, t2, t3);
    }

    /// <summary>
    /// <see cref="AddScaled{TOps, TVec, TW}"/> of four consecutive values with weights p[0..4), z loaded and stored once:
    /// the same FMAs in the same order as four calls.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddScaled4<TOps, TVec, TW>(float* z, TW* v, float* p, int d)
        where TOps : ISimdOps<TVec> where TVec : unmanaged where TW : unmanaged
    {
        TW* v1 = v + d, v2 = v1 + d, v3 = v2 + d;
        TVec p0 = TOps.Broadcast(p[0]), p1 = TOps.Broadcast(p[1]), p2 = TOps.Broadcast(p[2]), p3 = TOps.Broadcast(p[3]);
        var j = 0;
        for (; j <= d - TOps.Width; j += TOps.Width)
        {
            var sum = TOps.MultiplyAdd(Weights.Load<TOps, TVec, TW>(v + j), p0, TOps.Load(z + j));
            sum = TOps.MultiplyAdd(Weights.Load<TOps, TVec, TW>(v1 + j), p1, sum);
            sum = TOps.MultiplyAdd(Weights.Load<TOps, TVec, TW>(v2 + j), p2, sum);
            TOps.Store(z + j, TOps.MultiplyAdd(Weights.Load<TOps, TVec, TW>(v3 + j), p3, sum));
        }
        for (; j < d; j++)
        {
            z[j] += p[0] * Weights.Scalar(v + j);
            z[j] += p[1] * Weights.Scalar(v1 + j);
            z[j] += p[2] * Weights.Scalar(v2 + j);
            z[j] += p[3] * Weights.Scalar(v3 + j);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddScaled<TOps, TVec, TW>(float* z, TW* v, float p, int d)
        where TOps : ISimdOps<TVec> where TVec : unmanaged where TW : unmanaged
    {
        var scale = TOps.Broadcast(p);
        var j = 0;
        for (; j <= d - TOps.Width; j += TOps.Width) TOps.Store(z + j, TOps.MultiplyAdd(Weights.Load<TOps, TVec, TW>(v + j), scale, TOps.Load(z + j)));
        for (; j < d; j++) z[j] += p * Weights.Scalar(v + j);
    }

    private static float[] Buffer(ref float[]? buffer, int length)
    {
        if (buffer is null || buffer.Length < length) buffer = GC.AllocateUninitializedArray<float>(Math.Max(length, 4096), pinned: true);
        return buffer;
    }
}
