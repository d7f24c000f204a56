using System.Runtime.InteropServices;

namespace Steer.Runtime.Kernels;

/// <summary>
/// Runs the chunks of a job on libtorch's own OpenMP thread team, through libgomp's <c>GOMP_parallel</c>
/// (what <c>#pragma omp parallel</c> compiles to).
/// </summary>
/// <remarks>
/// Why not threads of our own: after every parallel libtorch op, libgomp's workers spin for a while waiting for
/// the next one. During decoding, ops follow each other within microseconds, so they spin nearly all the time,
/// and any other thread that needs those cores is time-sliced against them: a kernel thread that loses its core
/// for a scheduler tick in the middle of a chunk stalls the whole product for milliseconds. Handing the work to
/// the spinning workers themselves turns that contention into the fastest possible handoff, and the kernels use
/// exactly the threads libtorch was configured with.
/// <para>
/// The library is found among the process's mappings (it is whatever libtorch_cpu was linked against), so no
/// second OpenMP runtime is ever loaded. Where it cannot be found, <see cref="IsAvailable"/> is false.
/// </para>
/// </remarks>
internal static unsafe class OpenMpTeam
{
    private static readonly delegate* unmanaged<delegate* unmanaged<void*, void>, void*, uint, uint, void> Parallel = Resolve();

    public static bool IsAvailable => Parallel != null;

    /// <summary>
    /// Calls <paramref name="body"/>(state, chunk) once for each chunk in [0, <paramref name="chunks"/>) on a team of
    /// <paramref name="threads"/> threads including the caller, each thread claiming the next chunk when it is free.
    /// </summary>
    public static void Run(delegate*<void*, int, void> body, void* state, int chunks, int threads)
    {
        if (!IsAvailable) throw new InvalidOperationException("libgomp was not found");
        var job = new Job { Body = body, State = state, Chunks = chunks };
        Parallel(&TeamMember, &job, (uint)threads, 0);
    }

    private struct Job
    {
        public delegate*<void*, int, void> Body;
        public void* State;
        public int Chunks;
        public int NextChunk;
    }

    /// <summary>Runs on every thread of the team; GOMP_parallel returns once all have returned.</summary>
    [UnmanagedCallersOnly]
    private static void TeamMember(void* state)
    {
        var job = (Job*)state;
        int chunk;
        while ((chunk = Interlocked.Increment(ref job->NextChunk) - 1) < job->Chunks)
            job->Body(job->State, chunk);
    }

    private static delegate* unmanaged<delegate* unmanaged<void*, void>, void*, uint, uint, void> Resolve()
    {
        if (!OperatingSystem.IsLinux() || !File.Exists("/proc/self/maps")) return null;
        try
        {
            TorchRuntime.EnsureLoaded();
            // libtorch_cpu's handle: dlsym searches a library and then its dependencies, libgomp among them.
            var path = File.ReadLines("/proc/self/maps")
                .Select(line => line.IndexOf('/') is var slash and >= 0 ? line[slash..] : "")
                .FirstOrDefault(p => Path.GetFileName(p).StartsWith("libtorch_cpu.", StringComparison.Ordinal));
            if (path is null) return null;
            var handle = dlopen(path, RtldLazy | RtldNoLoad);
            if (handle == IntPtr.Zero) return null;
            return (delegate* unmanaged<delegate* unmanaged<void*, void>, void*, uint, uint, void>)dlsym(handle, "GOMP_parallel");
        }
        catch (IOException)
        {
            return null;
        }
    }

    private const int RtldLazy = 0x1;
    private const int RtldNoLoad = 0x4;

    [DllImport("libc", EntryPoint = "dlopen")]
    private static extern IntPtr dlopen(string fileName, int flags);

    [DllImport("libc", EntryPoint = "dlsym")]
    private static extern IntPtr dlsym(IntPtr handle, string symbol);
}
