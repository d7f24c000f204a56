using System.Collections.Concurrent;
using Steer.Hub;
using Steer.Tests.IO;

namespace Steer.Tests.Hub;

/// <summary>
/// A fake Hub serving <see cref="RepoId"/> (the single-file formula model) and an empty cache, with options that
/// point at both and retry fast. Options are passed explicitly, so these tests leave the environment alone.
/// </summary>
public abstract class HubTestBase : IDisposable
{
    internal const string RepoId = "steer-tests/tiny";

    private readonly ConcurrentQueue<string> _notices = new();

    protected HubTestBase() => Hub.AddRepo(RepoId, HubModels.Single);

    internal FakeHub Hub { get; } = new();

    internal TempDirectory Cache { get; } = new();

    internal IReadOnlyList<string> Notices => [.. _notices];

    internal static string Commit => FakeHub.CommitOf(RepoId);

    internal string RepoFolder => Path.Combine(Cache.Path, "models--steer-tests--tiny");

    internal string Blob(string file) => Path.Combine(RepoFolder, "blobs", Etag(file));

    internal static string Etag(string file) =>
        FakeHub.IsLfs(file) ? FakeHub.Sha256(HubModels.Single[file]) : FakeHub.GitBlobId(HubModels.Single[file]);

    internal HubOptions Options => new()
    {
        Endpoint = Hub.Endpoint,
        CacheRoot = Cache.Path,
        Retries = 2,
        RetryDelay = TimeSpan.FromMilliseconds(10),
        MaxRetryDelay = TimeSpan.FromMilliseconds(20),
        Timeout = TimeSpan.FromSeconds(10),
        Notice = _notices.Enqueue,
    };

    internal HubSnapshot Download(string repoId = RepoId, string revision = "main", HubOptions? options = null) =>
        HubDownloader.Download(repoId, revision, options ?? Options);

    internal static SteerException Fails(ErrorKind kind, Func<object> action)
    {
        var error = Should.Throw<SteerException>(action);
        error.Kind.ShouldBe(kind, error.Message);
        return error;
    }

    public void Dispose()
    {
        Hub.Dispose();
        Cache.Dispose();
        GC.SuppressFinalize(this);
    }
}
