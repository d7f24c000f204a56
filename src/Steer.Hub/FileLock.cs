using System.Diagnostics;

namespace Steer.Hub;

/// <summary>
/// An exclusive lock on a file, shared with other processes: .NET opens a FileShare.None stream on Unix with
/// flock(LOCK_EX | LOCK_NB), the same lock Python's filelock (used by huggingface_hub) takes, so Steer and
/// Python tools also wait for each other. The operating system drops the lock when its holder exits.
/// </summary>
internal static class FileLock
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(100);

    /// <summary>Takes the lock, polling while another holder has it; <paramref name="onWait"/> is called once if the wait lasts.</summary>
    public static async Task<FileStream> AcquireAsync(string path, TimeSpan? timeout, Action? onWait, CancellationToken cancellation)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var clock = Stopwatch.StartNew();
        var announced = false;
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException e) when (IsHeldElsewhere(e))
            {
                if (timeout is { } limit && clock.Elapsed >= limit)
                    throw new SteerException(ErrorKind.Environment,
                        $"Another process kept the download lock '{path}' for more than {limit.TotalSeconds:0} s.", e);
            }
            if (!announced && clock.Elapsed >= TimeSpan.FromSeconds(1))
            {
                announced = true;
                onWait?.Invoke();
            }
            await Task.Delay(Poll, cancellation).ConfigureAwait(false);
        }
    }

    /// <summary>A lock conflict, as opposed to a real I/O failure such as a read-only disk, which must not be waited on.</summary>
    private static bool IsHeldElsewhere(IOException e) =>
        // EWOULDBLOCK on Linux (11) and macOS (35); ERROR_SHARING_VIOLATION and ERROR_LOCK_VIOLATION on Windows.
        e.HResult is 11 or 35 or unchecked((int)0x80070020) or unchecked((int)0x80070021);
}
