using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Steer.Runtime;

/// <summary>
/// Loads the libstdc++ shim that build/fix-torchsharp-glibcxx.sh leaves next to libLibTorchSharp.so
/// on systems older than GCC 13's libstdc++. It must be global before TorchSharp's native library
/// loads, so this runs as the module initializer of Steer.Core.
/// </summary>
internal static class NativeLibraries
{
    internal const string ShimFileName = "libsteer_glibcxx_shim.so";
    private const int RtldNow = 0x2;
    private const int RtldGlobal = 0x100;

    /// <summary>Path of the shim that was loaded, or null where none was needed.</summary>
    internal static string? LoadedShim { get; private set; }

    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255", Justification = "The shim must be global before any TorchSharp type initialises.")]
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

    [DllImport("libc", EntryPoint = "dlopen")]
    private static extern IntPtr dlopen(string fileName, int flags);
}
