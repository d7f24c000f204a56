namespace Steer.Hub;

/// <summary>How far the download of one file has got. Reported a few times a second, and once when the file is done.</summary>
/// <param name="File">The file's name in the repository, e.g. "model.safetensors".</param>
/// <param name="BytesDone">Bytes on disk so far, including those kept from an interrupted earlier attempt.</param>
/// <param name="TotalBytes">The file's size when the Hub says it, else null.</param>
/// <param name="BytesPerSecond">The transfer rate of this attempt (resumed bytes do not count).</param>
/// <param name="Finished">True for the last report of a file: its bytes are verified and in place, unless <paramref name="Failed"/>.</param>
/// <param name="Failed">True when the file's download stopped with an error (reported in the exception that follows).</param>
public sealed record DownloadProgress(string RepoId, string File, long BytesDone, long? TotalBytes, double BytesPerSecond, bool Finished,
    bool Failed = false)
{
    /// <summary>Seconds left at the current rate, or null when the size or the rate is unknown.</summary>
    public double? SecondsLeft => TotalBytes is { } total && BytesPerSecond > 0
        ? Math.Max(0, total - BytesDone) / BytesPerSecond
        : null;
}
