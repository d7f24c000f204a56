using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Steer.Runtime;

/// <summary>
/// What must happen before libtorch loads, so it runs as the module initializer of Steer.Core: the libstdc++ shim
/// that build/fix-torchsharp-glibcxx.sh leaves next to libLibTorchSharp.so on systems older than GCC 13's
/// libstdc++ is loaded globally, and libgomp's wait policy is set.
/// </summary>
internal static class NativeLibraries
{
    internal const string ShimFileName = "libsteer_glibcxx_shim.so";
    private const int RtldNow = 0x2;
    private const int RtldGlobal = 0x100;

    /// <summary>Path of the shim that was loaded, or null where none was needed.</summary>
    internal static string? LoadedShim { get; private set; }

    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255", Justification = "Both must happen before any TorchSharp type initialises.")]
    internal static void PrepareForLibtorch()
    {
        if (!OperatingSystem.IsLinux()) return;
        PreferPassiveOpenMpWorkers();
        LoadGlibcxxShim();
    }

    internal static void LoadGlibcxxShim()
    {
        if (!OperatingSystem.IsLinux() || LoadedShim is not null) return;
        foreach (var dir in CandidateDirectories())
        {
            var path = Path.Combine(dir, ShimFileName);
            if (!File.Exists(path)) continue;
            if (dlopen(path, RtldNow | RtldGlobal) != IntPtr.Zero) LoadedShim = path;
            return;
        }
    }

    private static IEnumerable<string> CandidateDirectories()
    {
        var root = AppContext.BaseDirectory;
        var rid = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? "linux-arm64" : "linux-x64";
        yield return Path.Combine(root, "runtimes", rid, "native");
        yield return root;
    }

    /// <summary>
    /// Sets <c>OMP_WAIT_POLICY=PASSIVE</c> for libtorch's OpenMP team, unless the user set it or <c>GOMP_SPINCOUNT</c>.
    /// libgomp reads it once, when libtorch loads it, so it goes into the native environment now.
    /// </summary>
    /// <remarks>
    /// By default libgomp's idle workers spin for a while after every parallel libtorch operation. During decoding
    /// they spin on the cores the decode kernels' own threads need (<see cref="Kernels.KernelTeam"/>), and on a busy
    /// machine they take time from whatever else runs. Measured with steer bench (gpt2 shape, float32, 2 cores):
    /// batch-1 decode at about the same speed idle (noise ±15%), and with one competing <c>yes</c> 32.6 tokens/s
    /// against 18.3 with spinning workers. Prompt passes wake sleeping workers once per operation (microseconds
    /// against operations of milliseconds).
    /// </remarks>
    private static void PreferPassiveOpenMpWorkers()
    {
        if (Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") is not null || Environment.GetEnvironmentVariable("GOMP_SPINCOUNT") is not null)
            return;
        // Environment.SetEnvironmentVariable changes .NET's copy only; libgomp reads the C environment.
        setenv("OMP_WAIT_POLICY", "PASSIVE", 0);
        Environment.SetEnvironmentVariable("OMP_WAIT_POLICY", "PASSIVE");
    }

    [DllImport("libc", EntryPoint = "setenv")]
    private static extern int setenv(string name, string value, int overwrite);

    [DllImport("libc", EntryPoint = "dlopen")]
    private static extern IntPtr dlopen(string fileName, int flags);
}
