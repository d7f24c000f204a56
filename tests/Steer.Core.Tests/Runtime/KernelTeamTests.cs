using System.Collections.Concurrent;
using System.Diagnostics;
using Steer.Runtime.Kernels;

namespace Steer.Tests.Runtime;

/// <summary>
/// The decode kernels' thread team: every chunk runs exactly once per job, jobs from concurrent callers stay
/// apart, sleeping workers wake up for new work, and a caller never waits for a worker that has not shown up.
/// </summary>
public sealed unsafe class KernelTeamTests
{
    private sealed class Counts
    {
        public int[] Runs = [];
        public ConcurrentDictionary<int, int> Threads = new();
        public Func<int, bool>? Gate;
    }

    private static void Count(void* state, int chunk)
    {
        var counts = (Counts)System.Runtime.InteropServices.GCHandle.FromIntPtr((IntPtr)state).Target!;
        Interlocked.Increment(ref counts.Runs[chunk]);
        counts.Threads.TryAdd(Environment.CurrentManagedThreadId, 0);
        counts.Gate?.Invoke(chunk);
    }

    private static Counts Run(int chunks, int threads, Func<int, bool>? gate = null)
    {
        var counts = new Counts { Runs = new int[chunks], Gate = gate };
        var handle = System.Runtime.InteropServices.GCHandle.Alloc(counts);
        try
        {
            KernelTeam.Run(&Count, (void*)System.Runtime.InteropServices.GCHandle.ToIntPtr(handle), chunks, threads);
        }
        finally
        {
            handle.Free();
        }
        return counts;
    }

    [Fact]
    public void Every_chunk_of_every_job_runs_exactly_once()
    {
        var random = new Random(5);
        for (var job = 0; job < 5000; job++)
        {
            var chunks = random.Next(1, 40);
            var counts = Run(chunks, threads: 2);
            counts.Runs.ShouldAllBe(n => n == 1, $"job {job} with {chunks} chunks");
        }
    }

    [Fact]
    public void Concurrent_callers_each_get_all_of_their_chunks()
    {
        var failures = 0;
        Parallel.For(0, 4, _ =>
        {
            for (var job = 0; job < 500; job++)
                if (Run(17, threads: 2).Runs.Any(n => n != 1)) Interlocked.Increment(ref failures);
        });
        failures.ShouldBe(0);
    }

    [Fact]
    public void A_sleeping_worker_wakes_up_for_a_new_job()
    {
        Run(8, threads: 2);
        Thread.Sleep(50);      // far past the workers' spinning: they are asleep
        // Chunk 0 holds the caller (or whoever runs it) until another thread has run a chunk, so the job can only
        // finish early if a worker woke up; the 5-second limit only bounds a failing run.
        var others = 0;
        var clock = Stopwatch.StartNew();
        var counts = Run(8, threads: 2, chunk =>
        {
            if (chunk != 0) Interlocked.Increment(ref others);
            else while (Volatile.Read(ref others) == 0 && clock.Elapsed.TotalSeconds < 5) Thread.SpinWait(100);
            return true;
        });
        counts.Runs.ShouldAllBe(n => n == 1);
        counts.Threads.Count.ShouldBe(2, "a worker took part");
        clock.Elapsed.TotalSeconds.ShouldBeLessThan(5);
    }

    [Fact]
    public void A_failing_chunk_is_rethrown_to_the_caller_whichever_thread_ran_it_and_the_team_goes_on()
    {
        for (var failing = 0; failing < 16; failing++)
        {
            var target = failing;
            var error = Should.Throw<InvalidOperationException>(() => Run(16, threads: 2, chunk =>
                chunk == target ? throw new InvalidOperationException($"chunk {chunk}") : true));
            error.Message.ShouldBe($"chunk {failing}");
            Run(16, threads: 2).Runs.ShouldAllBe(n => n == 1, "the next job runs whole");
        }
    }

    [Fact]
    public void One_thread_runs_everything_on_the_caller()
    {
        var counts = Run(6, threads: 1);
        counts.Runs.ShouldAllBe(n => n == 1);
        counts.Threads.Keys.ShouldBe([Environment.CurrentManagedThreadId]);
    }
}
