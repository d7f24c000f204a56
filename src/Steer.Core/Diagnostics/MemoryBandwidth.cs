using System.Diagnostics;
using System.Numerics;
using System.Runtime.InteropServices;

namespace Steer.Diagnostics;

/// <summary>
/// The machine's sustained memory read bandwidth, measured the way decoding reads weights: every thread sums its
/// own contiguous slice of a buffer far larger than the caches, with SIMD loads. The best of several passes counts,
/// since the ceiling is what the hardware can do, not what a disturbed pass got.
/// </summary>
public static class MemoryBandwidth
{
    /// <param name="threads">How many threads read at once (decoding uses libtorch's thread count).</param>
    /// <param name="bytes">The buffer's size: 1 GiB by default, well above any last-level cache.</param>
    /// <returns>bytes read per second</returns>
    public static unsafe double Measure(int threads, long bytes = 1L << 30, int passes = 5)
    {
        var count = bytes / sizeof(float);
        var buffer = (float*)NativeMemory.AlignedAlloc((nuint)bytes, 64);
        try
        {
            new Span<float>(buffer, (int)Math.Min(count, int.MaxValue)).Fill(1f);
            if (count > int.MaxValue) new Span<float>(buffer + int.MaxValue, (int)(count - int.MaxValue)).Fill(1f);
            var best = double.MaxValue;
            var sink = 0f;
            for (var pass = 0; pass < passes; pass++)
            {
                var clock = Stopwatch.StartNew();
                var sums = new float[threads];
                Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
                {
                    var start = count * t / threads;
                    var end = count * (t + 1) / threads;
                    sums[t] = Sum(buffer + start, end - start);
                });
                best = Math.Min(best, clock.Elapsed.TotalSeconds);
                sink += sums.Sum();
            }
            GC.KeepAlive(sink);
            return bytes / best;
        }
        finally
        {
            NativeMemory.AlignedFree(buffer);
        }
    }

    private static unsafe float Sum(float* values, long count)
    {
        var width = Vector<float>.Count;
        Vector<float> a = default, b = default, c = default, d = default;
        long i = 0;
        for (; i + 4 * width <= count; i += 4 * width)
        {
            a += *(Vector<float>*)(values + i);
            b += *(Vector<float>*)(values + i + width);
            c += *(Vector<float>*)(values + i + 2 * width);
            d += *(Vector<float>*)(values + i + 3 * width);
        }
        var total = Vector.Sum(a + b + c + d);
        for (; i < count; i++) total += values[i];
        return total;
    }
}
