using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace Steer.Runtime.Kernels;

/// <summary>
/// The threads the decode kernels split a product across: the caller plus <c>threads − 1</c> workers of Steer's own,
/// which help with whatever chunks are left when they arrive and are never waited for.
/// </summary>
/// <remarks>
/// Why not libtorch's OpenMP team (which these kernels used before): <c>GOMP_parallel</c> returns only after every
/// thread of the team has joined, so when another process holds a core, each product waits for a descheduled
/// thread's next time slice (milliseconds) even if the caller has done all the work. Here the caller claims chunks
/// like any worker and waits only for chunks that were claimed and are still running, so a late worker costs its
/// share of the work, not a time slice. steer bench, gpt2 shape, float32, batch-1 decode on 2 cores with one
/// competing <c>yes</c>: 16.9 tokens/s on the OpenMP team (0.26x of idle), 32.6 here (about 0.55x); idle speed
/// the same within this machine's noise.
/// <para>
/// Chunks are claimed from one 64-bit word holding the job's number, a closed flag, its chunk count and the next
/// chunk, so a worker that wakes up late cannot claim a chunk of a job that has finished or been replaced. A chunk
/// that throws closes its job (no chunk starts after it) and the caller rethrows once the claimed chunks are done. Which thread runs which chunk
/// does not change what a chunk computes, so results are bit-identical from call to call. Idle workers spin for
/// <see cref="SpinMicroseconds"/> (decoding's products follow each other within microseconds) and then sleep until
/// the next job.
/// </para>
/// </remarks>
internal static unsafe class KernelTeam
{
    private const double SpinMicroseconds = 200;
    private const int MaxChunks = ushort.MaxValue;

    private static readonly object Gate = new();   // Monitor.Wait/PulseAll need a monitor, not a Lock
    private static readonly Lock CallerGate = new();
    private static int _workers;
    private static int _sleepers;

    // The job: written by the caller before the claim word is published, read by a worker only after it has claimed
    // a chunk (so while the caller is still waiting for that chunk).
    private static delegate*<void*, int, void> _body;
    private static void* _state;
    private static int _done;
    private static Exception? _failure;
    /// <summary>job number (31 bits) | closed (1 bit) | chunk count (16 bits) | next chunk (16 bits)</summary>
    private static long _claim;
    private const long ClosedBit = 1L << 32;

    /// <summary>
    /// Calls <paramref name="body"/>(state, chunk) once for each chunk in [0, <paramref name="chunks"/>), on the
    /// calling thread and up to <paramref name="threads"/> − 1 workers; returns when every chunk has run.
    /// </summary>
    public static void Run(delegate*<void*, int, void> body, void* state, int chunks, int threads)
    {
        if (chunks < 1) return;
        if (chunks > MaxChunks) throw new ArgumentOutOfRangeException(nameof(chunks));
        if (threads <= 1 || chunks == 1)
        {
            for (var chunk = 0; chunk < chunks; chunk++) body(state, chunk);
            return;
        }
        // One job at a time: concurrent callers (server workers) take turns, as they would for the cores anyway.
        lock (CallerGate)
        {
            EnsureWorkers(threads - 1);
            _body = body;
            _state = state;
            _done = 0;
            _failure = null;
            var job = ((Volatile.Read(ref _claim) >> 33) + 1) & int.MaxValue;
            // A full fence: the job's fields are visible before its word, and _sleepers is read after it (see Sleep).
            Interlocked.Exchange(ref _claim, (job << 33) | ((long)chunks << 16));
            if (Volatile.Read(ref _sleepers) > 0)
                lock (Gate) Monitor.PulseAll(Gate);

            while (TryClaim(out var chunk, out _, out _)) RunChunk(body, state, chunk);
            // Every claimed chunk counts itself done, failed or not; after a failure no further chunk is claimed.
            WaitForChunks(ClaimedChunks());
            if (Interlocked.Exchange(ref _failure, null) is { } failure) ExceptionDispatchInfo.Throw(failure);
        }
    }

    /// <summary>Waits until <paramref name="count"/> chunks have finished.</summary>
    private static void WaitForChunks(int count)
    {
        var spin = new SpinWait();
        while (Volatile.Read(ref _done) < count) spin.SpinOnce(sleep1Threshold: -1);
    }

    /// <summary>
    /// Runs one chunk. A failure is kept for the caller to rethrow (a worker must not throw: that would end the
    /// process) and closes the job, so that no chunk starts after it.
    /// </summary>
    private static void RunChunk(delegate*<void*, int, void> body, void* state, int chunk)
    {
        try
        {
            body(state, chunk);
        }
        catch (Exception e)
        {
            Interlocked.CompareExchange(ref _failure, e, null);
            CloseJob();
        }
        finally
        {
            Interlocked.Increment(ref _done);
        }
    }

    /// <summary>How many chunks of the current job have been claimed (all of them, unless it was closed early).</summary>
    private static int ClaimedChunks()
    {
        var word = Volatile.Read(ref _claim);
        return (int)Math.Min(word & 0xFFFF, (word >> 16) & 0xFFFF);
    }

    /// <summary>Stops further claims; the next-chunk field keeps counting what was claimed.</summary>
    private static void CloseJob()
    {
        while (true)
        {
            var word = Volatile.Read(ref _claim);
            if ((word & ClosedBit) != 0 || Interlocked.CompareExchange(ref _claim, word | ClosedBit, word) == word) return;
        }
    }

    /// <summary>Claims the next chunk of the current job, if any is left.</summary>
    private static bool TryClaim(out int chunk, out delegate*<void*, int, void> body, out void* state)
    {
        while (true)
        {
            var word = Volatile.Read(ref _claim);
            var next = (int)(word & 0xFFFF);
            var count = (int)((word >> 16) & 0xFFFF);
            if (next >= count || (word & ClosedBit) != 0)
            {
                chunk = -1;
                body = null;
                state = null;
                return false;
            }
            if (Interlocked.CompareExchange(ref _claim, word + 1, word) == word)
            {
                // The job cannot finish before this chunk does, so its fields are still this job's.
                chunk = next;
                body = _body;
                state = _state;
                return true;
            }
        }
    }

    private static bool HasWork()
    {
        var word = Volatile.Read(ref _claim);
        return (word & 0xFFFF) < ((word >> 16) & 0xFFFF) && (word & ClosedBit) == 0;
    }

    private static void EnsureWorkers(int count)
    {
        while (_workers < Math.Min(count, 63))
        {
            new Thread(Work) { IsBackground = true, Name = $"steer-kernel-{_workers + 1}" }.Start();
            _workers++;
        }
    }

    private static void Work()
    {
        var idle = Stopwatch.StartNew();
        while (true)
        {
            if (TryClaim(out var chunk, out var body, out var state))
            {
                RunChunk(body, state, chunk);
                idle.Restart();
                continue;
            }
            if (idle.Elapsed.TotalMicroseconds < SpinMicroseconds)
            {
                Thread.SpinWait(20);
                continue;
            }
            Sleep();
            idle.Restart();
        }
    }

    /// <summary>Blocks until a job is published. Counting itself a sleeper before looking for work means no wake-up is lost.</summary>
    private static void Sleep()
    {
        lock (Gate)
        {
            Interlocked.Increment(ref _sleepers);
            while (!HasWork()) Monitor.Wait(Gate);
            Interlocked.Decrement(ref _sleepers);
        }
    }
}
