using Steer.IO;

namespace Steer.Hub;

/// <summary>A model's files in the local cache at one commit.</summary>
/// <param name="RepoId">The canonical id, e.g. "openai-community/gpt2" for "gpt2".</param>
/// <param name="Directory">snapshots/&lt;commit&gt;, which holds <paramref name="Files"/>.</param>
/// <param name="Downloaded">The files whose bytes this call downloaded; empty when the cache had everything.</param>
public sealed record HubSnapshot(string RepoId, string Revision, string Commit, string Directory,
    IReadOnlyList<string> Files, IReadOnlyList<string> Downloaded);

/// <summary>
/// Fetches what Steer needs of a Hub model into the Hugging Face cache, reusing whatever is already there.
/// Online, one model-info request says which commit the revision is at and which files exist; files missing
/// from that commit's snapshot are downloaded and then linked into it together, so a snapshot only ever shows
/// complete files. Offline (or when the Hub cannot be reached) the cache alone answers.
/// </summary>
public static class HubDownloader
{
    /// <summary>Blocking form of <see cref="DownloadAsync"/>, safe to call from any thread.</summary>
    public static HubSnapshot Download(string model, string revision = "main", HubOptions? options = null) =>
        Task.Run(() => DownloadAsync(model, revision, options, CancellationToken.None)).GetAwaiter().GetResult();

    /// <param name="model">A Hub id, "name" or "org/name"; the GPT-2 short names mean openai-community/….</param>
    /// <param name="options">Null reads the environment (<see cref="HubOptions.FromEnvironment"/>).</param>
    public static async Task<HubSnapshot> DownloadAsync(string model, string revision, HubOptions? options, CancellationToken cancellation)
    {
        options ??= HubOptions.FromEnvironment();
        HubCache.RequireValidRepoId(model);
        HubCache.RequireValidRevision(revision);
        var repoId = HubCache.CanonicalId(model);
        // huggingface_hub names the cache folder after the id as typed, so a "gpt2" that Python fetched before
        // (or without) the openai-community rename lives under models--gpt2: both folders count as cached.
        string[] folders = repoId == model ? [repoId] : [repoId, model];
        var cached = FromCache(repoId, folders, revision, options.CacheRoot);

        if (options.Offline)
            return cached ?? throw new SteerException(ErrorKind.NotFound,
                $"Model '{repoId}' (revision '{revision}') is not in the local Hugging Face cache at '{options.CacheRoot}', " +
                "and offline mode is on (HF_HUB_OFFLINE=1), so it is not downloaded. Unset HF_HUB_OFFLINE to download it, " +
                "or pass a local directory containing config.json and model.safetensors.");
        // A commit never changes, so a cached one needs no network at all.
        if (cached is not null && HubCache.IsCommit(revision) && IsUsable(cached.Directory))
            return cached;

        using var http = new HubHttp(options);
        var api = new HubApi(http);
        RepoInfo info;
        try
        {
            // An unreachable Hub should cost seconds, not the full backoff: one attempt with a cached copy to fall
            // back on, else two quick retries for a blip before saying the Hub cannot be reached.
            info = await http.RetryAsync(() => api.ModelInfoAsync(repoId, revision, cancellation), null, cancellation,
                retries: cached is null ? 2 : 0).ConfigureAwait(false);
        }
        catch (HubTransientException e)
        {
            var endpoint = HubHttp.Origin(options.Endpoint);
            if (cached is null)
                throw new SteerException(ErrorKind.Environment,
                    $"Cannot reach the Hugging Face Hub at {endpoint} ({e.Message}), and model '{repoId}' (revision '{revision}') " +
                    $"is not in the local cache at '{options.CacheRoot}'. Check the network connection, or set HF_ENDPOINT to a reachable mirror.", e);
            options.Notice?.Invoke($"the Hub at {endpoint} is unreachable ({e.Message}); using the cached '{repoId}' at commit {cached.Commit}");
            return cached;
        }

        var plan = FilePlan.Select(repoId, info.Files);
        foreach (var folder in folders)
        {
            var existing = new RepoCache(options.CacheRoot, folder);
            if (Complete(existing, info.Commit, plan, repoId, info.Files) is { } files)
            {
                existing.WriteRef(revision, info.Commit);
                return new HubSnapshot(repoId, revision, info.Commit, existing.Snapshot(info.Commit), files, []);
            }
        }
        return await FetchAsync(http, api, new RepoCache(options.CacheRoot, repoId), revision, info, plan, cancellation).ConfigureAwait(false);
    }

    private static async Task<HubSnapshot> FetchAsync(HubHttp http, HubApi api, RepoCache cache, string revision, RepoInfo info,
        List<string> plan, CancellationToken cancellation)
    {
        var blobs = new BlobDownload(http, cache);
        var toLink = new List<(string File, string Etag)>();
        var downloaded = new List<string>();
        var files = new List<string>(plan);
        // The list grows while it is walked: the shards join once the index is on disk.
        for (var i = 0; i < files.Count; i++)
        {
            var file = files[i];
            var local = cache.SnapshotFile(info.Commit, file);
            if (!File.Exists(local))
            {
                var metadata = await Metadata(http, api, cache.RepoId, info.Commit, file, cancellation).ConfigureAwait(false);
                if (await blobs.EnsureAsync(metadata, cancellation).ConfigureAwait(false)) downloaded.Add(file);
                toLink.Add((file, metadata.Etag));
                local = cache.Blob(metadata.Etag);
            }
            if (file == FilePlan.Index)
                files.AddRange(FilePlan.Shards(cache.RepoId, local, info.Files).Where(shard => !files.Contains(shard)));
        }
        foreach (var (file, etag) in toLink) cache.Link(info.Commit, file, etag);
        cache.WriteRef(revision, info.Commit);
        return new HubSnapshot(cache.RepoId, revision, info.Commit, cache.Snapshot(info.Commit), files, downloaded);
    }

    private static async Task<FileMetadata> Metadata(HubHttp http, HubApi api, string repoId, string commit, string file, CancellationToken cancellation)
    {
        try
        {
            return await http.RetryAsync(() => api.FileMetadataAsync(repoId, commit, file, cancellation), null, cancellation).ConfigureAwait(false);
        }
        catch (HubTransientException e)
        {
            throw new SteerException(ErrorKind.Environment,
                $"Looking up '{file}' of '{repoId}' failed after {http.Options.Retries + 1} attempts: {e.Message}.", e);
        }
    }

    /// <summary>The files of the snapshot when it already holds everything planned (shards included), else null.</summary>
    private static List<string>? Complete(RepoCache cache, string commit, List<string> plan, string repoId, IReadOnlyList<string> repoFiles)
    {
        if (!cache.Has(commit, plan)) return null;
        if (!plan.Contains(FilePlan.Index)) return plan;
        var shards = FilePlan.Shards(repoId, cache.SnapshotFile(commit, FilePlan.Index), repoFiles);
        return cache.Has(commit, shards) ? [.. plan, .. shards] : null;
    }

    /// <summary>Whether a snapshot holds config.json and all its safetensors weights (a partial download by another tool may not).</summary>
    private static bool IsUsable(string directory)
    {
        bool Has(string file) => File.Exists(Path.Combine(directory, file));
        return Has(FilePlan.Config) && (Has(FilePlan.Weights)
            || (Has(FilePlan.Index) && ShardIndex.FileNames(Path.Combine(directory, FilePlan.Index)).All(Has)));
    }

    /// <summary>The cached snapshot of the revision in the first folder that has one, with the files it holds.</summary>
    private static HubSnapshot? FromCache(string repoId, string[] folders, string revision, string root)
    {
        foreach (var folder in folders)
        {
            if (HubCache.FindSnapshot(folder, revision, root) is not { } directory) continue;
            var files = Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories)
                .Select(path => Path.GetRelativePath(directory, path).Replace('\\', '/'))
                .Order(StringComparer.Ordinal)
                .ToList();
            return new HubSnapshot(repoId, revision, Path.GetFileName(directory), directory, files, []);
        }
        return null;
    }
}
