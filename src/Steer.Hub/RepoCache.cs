
namespace Steer.Hub;

/// <summary>
/// One model's folder in the Hugging Face cache, written exactly as huggingface_hub writes it, so that Python
/// tools and Steer share one copy: blobs/&lt;etag&gt;, snapshots/&lt;commit&gt;/&lt;file&gt; as a relative symlink to
/// the blob, refs/&lt;revision&gt; holding the commit, and .locks/models--org--name/&lt;etag&gt;.lock next to the folders.
/// </summary>
internal sealed class RepoCache(string root, string repoId)
{
    public string RepoId { get; } = repoId;

    public string Folder { get; } = Path.Combine(root, HubCache.RepoFolderName(repoId));

    public string Blob(string etag) => Path.Combine(Folder, "blobs", etag);

    /// <summary>huggingface_hub's name for a blob still downloading, which either program may resume.</summary>
    public string Incomplete(string etag) => Blob(etag) + ".incomplete";

    public string Lock(string etag) => Path.Combine(root, ".locks", HubCache.RepoFolderName(RepoId), etag + ".lock");

    public string Snapshot(string commit) => Path.Combine(Folder, "snapshots", commit);

    public string SnapshotFile(string commit, string file) => Path.Combine(Snapshot(commit), file);

    /// <summary>The snapshot, when it holds every one of <paramref name="files"/> (a dangling link does not count).</summary>
    public bool Has(string commit, IEnumerable<string> files) => files.All(f => File.Exists(SnapshotFile(commit, f)));

    /// <summary>
    /// Points snapshots/&lt;commit&gt;/&lt;file&gt; at blobs/&lt;etag&gt; with a relative link ("../../blobs/x", one more
    /// "../" per folder level of the file), made under a temporary name and renamed over, so readers never see
    /// a half-made entry. Where links cannot be made (Windows without the privilege) the blob is copied.
    /// </summary>
    public void Link(string commit, string file, string etag)
    {
        var path = SnapshotFile(commit, file);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var depth = file.Count(c => c == '/');
        var target = string.Concat(Enumerable.Repeat("../", depth + 2)) + "blobs/" + etag;
        var temporary = path + ".steer-" + Guid.NewGuid().ToString("N")[..8];
        try
        {
            File.CreateSymbolicLink(temporary, target);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or PlatformNotSupportedException)
        {
            File.Copy(Blob(etag), temporary, overwrite: true);
        }
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Records that <paramref name="revision"/> (a branch or tag) is at <paramref name="commit"/>; a commit needs no ref.</summary>
    public void WriteRef(string revision, string commit)
    {
        if (revision == commit) return;
        var path = Path.Combine(Folder, "refs", revision);
        if (File.Exists(path) && File.ReadAllText(path).Trim() == commit) return;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = path + ".steer-" + Guid.NewGuid().ToString("N")[..8];
        File.WriteAllText(temporary, commit);
        File.Move(temporary, path, overwrite: true);
    }
}
