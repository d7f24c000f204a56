using TorchSharp;

namespace Steer.Runtime;

/// <summary>Initialises TorchSharp once and turns a native load failure into a clear message.</summary>
public static class TorchRuntime
{
    private static readonly Lazy<string> Version = new(LoadTorch, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The libtorch version; throws <see cref="SteerException"/> when TorchSharp cannot load.</summary>
    public static string EnsureLoaded() => Version.Value;

    private static string LoadTorch()
    {
        NativeLibraries.LoadGlibcxxShim();
        try
        {
            return torch.__version__;
        }
        catch (TypeInitializationException e)
        {
            var detail = e.InnerException?.Message ?? e.Message;
            var hint = detail.Contains("GLIBCXX", StringComparison.Ordinal) || NativeLibraries.LoadedShim is null
                ? " On Debian 12 / Ubuntu 22.04 the build patches libLibTorchSharp.so and builds " +
                  NativeLibraries.ShimFileName + " with the C compiler; install gcc and rebuild."
                : "";
            throw new SteerException(ErrorKind.Environment, "TorchSharp's native library could not be loaded." + hint +
                " Cause: " + FirstLine(detail));
        }
    }

    private static string FirstLine(string text) => text.Split('\n', 2)[0].Trim();
}
