using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;

namespace Steer.Hub;

/// <summary>
/// Puts one file's verified bytes at blobs/&lt;etag&gt;: downloaded into blobs/&lt;etag&gt;.incomplete (resumed with a
/// Range request when bytes are already there), checked against the size and, for LFS files, the sha256 the
/// Hub advertises, flushed to disk, then renamed into place, so a blob that exists is always complete. All of
/// it happens under the blob's lock, so two processes never write the same blob.
/// </summary>
internal sealed class BlobDownload(HubHttp http, RepoCache cache)
{
    private const int BufferSize = 1 << 20;
    private static readonly TimeSpan ReportEvery = TimeSpan.FromMilliseconds(100);

    private HubOptions Options => http.Options;

    /// <summary>Makes sure the blob exists; returns true when bytes had to be downloaded for it.</summary>
    public async Task<bool> EnsureAsync(FileMetadata file, CancellationToken cancellation)
    {
        var lockPath = cache.Lock(file.Etag);
        await using var held = await FileLock.AcquireAsync(lockPath, Options.LockTimeout,
            () => Options.Notice?.Invoke($"waiting for another process that is downloading '{file.File}' of '{cache.RepoId}' (lock {lockPath})"),
            cancellation).ConfigureAwait(false);
        // Checked under the lock: a process that waited finds the blob the other one finished.
        if (File.Exists(cache.Blob(file.Etag))) return false;

        Directory.CreateDirectory(Path.GetDirectoryName(cache.Blob(file.Etag))!);
        try
        {
            await DownloadAsync(file, cancellation).ConfigureAwait(false);
        }
        catch (Exception) when (Options.Progress is { } progress)
        {
            var kept = File.Exists(cache.Incomplete(file.Etag)) ? new FileInfo(cache.Incomplete(file.Etag)).Length : 0;
            progress.Report(new DownloadProgress(cache.RepoId, file.File, kept, file.Size, 0, Finished: true, Failed: true));
            throw;
        }
        var size = new FileInfo(cache.Blob(file.Etag)).Length;
        Options.Progress?.Report(new DownloadProgress(cache.RepoId, file.File, size, size, 0, Finished: true));
        return true;
    }

    /// <summary>Downloads with retries into the incomplete file, verifies it, and renames it to the blob.</summary>
    private async Task DownloadAsync(FileMetadata file, CancellationToken cancellation)
    {
        var progressed = false;
        var attempts = 0;
        string digest;
        try
        {
            digest = await http.RetryAsync(() => { attempts++; return AttemptAsync(file, () => progressed = true, cancellation); },
                () => { var made = progressed; progressed = false; return made; }, cancellation).ConfigureAwait(false);
        }
        catch (HubTransientException e)
        {
            var kept = File.Exists(cache.Incomplete(file.Etag)) ? new FileInfo(cache.Incomplete(file.Etag)).Length : 0;
            throw new SteerException(ErrorKind.Environment,
                $"Downloading '{file.File}' of '{cache.RepoId}' failed after {attempts} attempts: {e.Message}. " +
                (kept > 0 ? $"The {kept:N0} bytes received are kept; run the command again to resume." : "Run the command again to retry."), e);
        }
        Verify(file, digest);
        File.Move(cache.Incomplete(file.Etag), cache.Blob(file.Etag), overwrite: true);
    }

    /// <summary>One GET, from where the incomplete file ends; returns the sha256 of the whole file once it is all there.</summary>
    private async Task<string> AttemptAsync(FileMetadata file, Action onBytes, CancellationToken cancellation)
    {
        var path = cache.Incomplete(file.Etag);
        var offset = File.Exists(path) ? new FileInfo(path).Length : 0;
        if (file.Size is { } expected && offset > expected) offset = 0;
        await using var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, BufferSize, useAsync: true);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        if (offset > 0 && offset == file.Size)
            return await HashPrefixAsync(stream, hash, offset, cancellation).ConfigureAwait(false);

        using var response = await http.SendAsync(HttpMethod.Get, file.DownloadUrl, offset, relativeRedirectsOnly: false, cancellation).ConfigureAwait(false);
        if (StartOffset(response, file, offset) is not { } start)
        {
            stream.SetLength(0);
            throw new HubTransientException($"{HubHttp.Describe(file.DownloadUrl)} refused to resume at byte {offset:N0}; starting over");
        }
        offset = start;
        stream.SetLength(offset);
        await HashPrefixAsync(stream, hash, offset, cancellation).ConfigureAwait(false);
        var total = file.Size ?? (response.Content.Headers.ContentLength is { } length ? offset + length : null);

        await using var body = await response.Content.ReadAsStreamAsync(cancellation).ConfigureAwait(false);
        var buffer = new byte[BufferSize];
        var clock = Stopwatch.StartNew();
        var lastReport = TimeSpan.Zero;
        long received = 0;
        using var readTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        while (true)
        {
            int read;
            readTimeout.CancelAfter(Options.Timeout);
            try
            {
                read = await body.ReadAsync(buffer, readTimeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or HttpRequestException
                || (e is OperationCanceledException && !cancellation.IsCancellationRequested))
            {
                await stream.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                throw new HubTransientException(e is OperationCanceledException
                    ? $"no data for {Options.Timeout.TotalSeconds:0.#} s after {offset + received:N0} bytes"
                    : $"the connection broke after {offset + received:N0} bytes ({HubHttp.Reason(e)})", e);
            }
            if (read == 0) break;
            await stream.WriteAsync(buffer.AsMemory(0, read), cancellation).ConfigureAwait(false);
            hash.AppendData(buffer, 0, read);
            received += read;
            onBytes();
            if (clock.Elapsed - lastReport >= ReportEvery)
            {
                lastReport = clock.Elapsed;
                Options.Progress?.Report(new DownloadProgress(cache.RepoId, file.File, offset + received, total,
                    received / Math.Max(clock.Elapsed.TotalSeconds, 1e-3), Finished: false));
            }
        }
        // Durable before the rename that declares the blob complete.
        stream.Flush(flushToDisk: true);
        if (file.Size is { } size && offset + received < size)
            throw new HubTransientException($"the connection closed after {offset + received:N0} of {size:N0} bytes");
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>
    /// Where the body of <paramref name="response"/> starts in the file: the requested offset for a 206, 0 for a 200,
    /// null when the server cannot resume there (416: the partial bytes are longer than the file, or stale).
    /// </summary>
    private long? StartOffset(HttpResponseMessage response, FileMetadata file, long requested)
    {
        switch (response.StatusCode)
        {
            case HttpStatusCode.PartialContent when response.Content.Headers.ContentRange?.From == requested:
                return requested;
            case HttpStatusCode.PartialContent:
                throw new HubTransientException($"{HubHttp.Describe(file.DownloadUrl)} sent a range that does not start at byte {requested:N0}");
            // A server that ignores Range sends the whole file again: start over rather than append it.
            case HttpStatusCode.OK:
                return 0;
            case HttpStatusCode.RequestedRangeNotSatisfiable:
                return null;
            case var status when HubHttp.IsTransient(status):
                throw new HubTransientException($"{HubHttp.Describe(file.DownloadUrl)} answered HTTP {(int)status} {response.ReasonPhrase}");
            case var status:
                throw new SteerException(status == HttpStatusCode.NotFound ? ErrorKind.NotFound : ErrorKind.Environment,
                    $"Downloading '{file.File}' of '{cache.RepoId}' failed: {HubHttp.Describe(file.DownloadUrl)} answered HTTP {(int)status} {response.ReasonPhrase}.");
        }
    }

    private static async Task<string> HashPrefixAsync(FileStream stream, IncrementalHash hash, long length, CancellationToken cancellation)
    {
        stream.Position = 0;
        var buffer = new byte[BufferSize];
        for (long done = 0; done < length;)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, length - done)), cancellation).ConfigureAwait(false);
            if (read == 0) break;
            hash.AppendData(buffer, 0, read);
            done += read;
        }
        stream.Position = length;
        return length == stream.Length ? Convert.ToHexStringLower(hash.GetCurrentHash()) : "";
    }

    /// <summary>Wrong bytes are deleted, not kept for resuming: resuming after them could never succeed.</summary>
    private void Verify(FileMetadata file, string digest)
    {
        var path = cache.Incomplete(file.Etag);
        var size = new FileInfo(path).Length;
        string? problem = null;
        if (file.Size is { } expected && size != expected)
            problem = $"it has {size:N0} bytes where the Hub advertises {expected:N0}";
        else if (file.Sha256 is { } sha256 && digest != sha256)
            problem = $"its sha256 is {digest}, but the Hub advertises {sha256} (X-Linked-Etag)";
        if (problem is null) return;
        File.Delete(path);
        throw new SteerException(ErrorKind.InvalidModel,
            $"The download of '{file.File}' of '{cache.RepoId}' is corrupt: {problem}. The bytes were deleted; " +
            $"run the command again, and if this repeats, the server ({HubHttp.Describe(file.DownloadUrl)}) is sending wrong data.");
    }
}
