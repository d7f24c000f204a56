using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Steer.Tests.Hub;

/// <summary>One request the fake Hub received: which host ("hub" or "lfs"), method, path with query, and the headers tests check.</summary>
internal sealed record HubRequest(string Host, string Method, string Path, string? Authorization, string? Range);

/// <summary>
/// An imitation of the Hugging Face Hub's endpoints on two local listeners: the Hub itself on 127.0.0.1 and an
/// LFS storage host on "localhost" (another host and port, as the CDN is for the real Hub). It answers model
/// info, HEAD/GET of resolve/&lt;revision&gt;/&lt;file&gt; (302 to the storage host with X-Linked-Etag for
/// .safetensors and other LFS files), Range requests, 401 for gated repositories without the right token, and
/// 404 for unknown repositories, revisions and files. Faults can be injected per file.
/// </summary>
internal sealed class FakeHub : IDisposable
{
    private static readonly string[] LfsExtensions = [".safetensors", ".bin", ".msgpack", ".h5", ".onnx"];

    private readonly HttpListener _hub;
    private readonly HttpListener _lfs;
    private readonly ConcurrentDictionary<string, Repo> _repos = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte[]> _lfsObjects = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _dropAfter = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _corrupt = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<HubRequest> _requests = new();

    public FakeHub()
    {
        (_hub, var hubPort) = Start("127.0.0.1");
        (_lfs, var lfsPort) = Start("localhost");
        Endpoint = new Uri($"http://127.0.0.1:{hubPort}");
        LfsBase = $"http://localhost:{lfsPort}";
        _ = Serve(_hub, HandleHub);
        _ = Serve(_lfs, HandleLfs);
    }

    public Uri Endpoint { get; }

    private string LfsBase { get; }

    /// <summary>Every request so far, in arrival order.</summary>
    public IReadOnlyList<HubRequest> Requests => [.. _requests];

    /// <summary>Requests that transferred a file's bytes: GETs of the storage host, or of resolve/ on the Hub.</summary>
    public IReadOnlyList<HubRequest> FileDownloads =>
        Requests.Where(r => r.Method == "GET" && (r.Host == "lfs" || r.Path.Contains("/resolve/", StringComparison.Ordinal))).ToList();

    /// <summary>The storage host answers 200 with the whole file to Range requests, as a server without range support does.</summary>
    public bool IgnoreRange { get; set; }

    /// <summary>The storage host answers every request with 503.</summary>
    public bool LfsUnavailable { get; set; }

    /// <summary>A pause after each 16 KB the storage host sends, so that concurrent downloads overlap.</summary>
    public TimeSpan Throttle { get; set; }

    /// <summary>The 40-hex commit a repository's revision points at (derived from the id, so it is stable).</summary>
    public static string CommitOf(string repoId, string revision = "main") =>
        Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(repoId + "@" + revision)));

    public static string Sha256(byte[] content) => Convert.ToHexStringLower(SHA256.HashData(content));

    /// <summary>The etag the Hub gives a regular (non-LFS) file: the git blob id.</summary>
    public static string GitBlobId(byte[] content) =>
        Convert.ToHexStringLower(SHA1.HashData([.. Encoding.ASCII.GetBytes($"blob {content.Length}\0"), .. content]));

    public static bool IsLfs(string file) => LfsExtensions.Contains(Path.GetExtension(file));

    /// <summary>Serves <paramref name="files"/> as <paramref name="repoId"/> at revision "main".</summary>
    /// <param name="token">When set, the repository is gated: Hub requests without "Bearer token" get 401.</param>
    /// <param name="alias">An old name that answers with relative redirects to the new one, as renamed repositories do.</param>
    public void AddRepo(string repoId, IReadOnlyDictionary<string, byte[]> files, string? token = null, string? alias = null)
    {
        var repo = new Repo(repoId, CommitOf(repoId), files, token);
        _repos[repoId] = repo;
        if (alias is not null) _repos[alias] = repo with { RenamedTo = repoId };
        foreach (var (name, content) in files.Where(f => IsLfs(f.Key)))
            _lfsObjects[Sha256(content)] = content;
    }

    /// <summary>The next download of <paramref name="file"/> from the storage host sends this many bytes, then breaks the connection.</summary>
    public void DropOnce(string file, long afterBytes) => _dropAfter[file] = afterBytes;

    /// <summary>Downloads of <paramref name="file"/> deliver other bytes (same length) than its advertised sha256.</summary>
    public void Corrupt(string file) => _corrupt[file] = true;

    public void Dispose()
    {
        _hub.Close();
        _lfs.Close();
    }

    private sealed record Repo(string Id, string Commit, IReadOnlyDictionary<string, byte[]> Files, string? Token, string? RenamedTo = null);

    private static (HttpListener Listener, int Port) Start(string host)
    {
        for (var attempt = 0; ; attempt++)
        {
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            var listener = new HttpListener();
            listener.Prefixes.Add($"http://{host}:{port}/");
            try
            {
                listener.Start();
                return (listener, port);
            }
            catch (HttpListenerException) when (attempt < 10)
            {
                // Another process took the port between the probe and the start: try another.
                listener.Close();
            }
        }
    }

    private static async Task Serve(HttpListener listener, Func<HttpListenerContext, Task> handle)
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await listener.GetContextAsync(); }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }
            _ = Task.Run(async () =>
            {
                try { await handle(context); }
                catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException) { context.Response.Abort(); }
            });
        }
    }

    private void Record(string host, HttpListenerRequest request) =>
        _requests.Enqueue(new HubRequest(host, request.HttpMethod, request.Url!.PathAndQuery,
            request.Headers["Authorization"], request.Headers["Range"]));

    private async Task HandleHub(HttpListenerContext context)
    {
        var request = context.Request;
        var response = context.Response;
        Record("hub", request);
        var path = Uri.UnescapeDataString(request.Url!.AbsolutePath).TrimStart('/');

        string repoId, revision, rest, file = "";
        bool isInfo = path.StartsWith("api/models/", StringComparison.Ordinal);
        var marker = isInfo ? "/revision/" : "/resolve/";
        var at = path.IndexOf(marker, StringComparison.Ordinal);
        if (at < 0) { Finish(response, 404, "RepoNotFound"); return; }
        repoId = isInfo ? path["api/models/".Length..at] : path[..at];
        rest = path[(at + marker.Length)..];
        if (isInfo) revision = rest;
        else
        {
            var slash = rest.IndexOf('/');
            if (slash < 0) { Finish(response, 404, "EntryNotFound"); return; }
            (revision, file) = (rest[..slash], rest[(slash + 1)..]);
        }

        if (!_repos.TryGetValue(repoId, out var repo)) { Finish(response, 404, "RepoNotFound"); return; }
        if (repo.Token is not null && request.Headers["Authorization"] != "Bearer " + repo.Token)
        {
            Finish(response, 401, "GatedRepo");
            return;
        }
        if (repo.RenamedTo is not null)
        {
            var location = isInfo ? $"/api/models/{repo.RenamedTo}/revision/{rest}" : $"/{repo.RenamedTo}/resolve/{rest}";
            response.StatusCode = 307;
            response.Headers["Location"] = location;
            Finish(response, 307, null);
            return;
        }
        if (revision != "main" && revision != repo.Commit) { Finish(response, 404, "RevisionNotFound"); return; }

        if (isInfo)
        {
            var json = JsonSerializer.SerializeToUtf8Bytes(new
            {
                id = repo.Id,
                sha = repo.Commit,
                siblings = repo.Files.Keys.Select(name => new { rfilename = name }),
            });
            response.ContentType = "application/json";
            await Send(response, json, request.HttpMethod);
            return;
        }

        if (!repo.Files.TryGetValue(file, out var content)) { Finish(response, 404, "EntryNotFound"); return; }
        response.Headers["X-Repo-Commit"] = repo.Commit;
        if (IsLfs(file))
        {
            var sha = Sha256(content);
            response.Headers["X-Linked-Etag"] = $"\"{sha}\"";
            response.Headers["X-Linked-Size"] = content.Length.ToString();
            response.Headers["ETag"] = $"\"{sha}\"";
            response.Headers["Location"] = $"{LfsBase}/lfs/{sha}?file={Uri.EscapeDataString(file)}&signature=abc";
            Finish(response, 302, null);
            return;
        }
        // A weak etag, as some servers send, to check that "W/" and the quotes are dropped.
        response.Headers["ETag"] = $"W/\"{GitBlobId(content)}\"";
        await Send(response, content, request.HttpMethod);
    }

    private async Task HandleLfs(HttpListenerContext context)
    {
        var request = context.Request;
        var response = context.Response;
        Record("lfs", request);
        var sha = request.Url!.AbsolutePath.Split('/').Last();
        var file = request.QueryString["file"] ?? "";
        if (LfsUnavailable) { Finish(response, 503, null); return; }
        if (!_lfsObjects.TryGetValue(sha, out var content)) { Finish(response, 404, null); return; }
        if (_corrupt.ContainsKey(file))
        {
            content = (byte[])content.Clone();
            content[content.Length / 2] ^= 0xFF;
        }

        long start = 0;
        if (!IgnoreRange && request.Headers["Range"] is { } range && range.StartsWith("bytes=", StringComparison.Ordinal) && range.EndsWith('-'))
        {
            start = long.Parse(range["bytes=".Length..^1]);
            if (start >= content.Length) { Finish(response, 416, null); return; }
            response.StatusCode = 206;
            response.Headers["Content-Range"] = $"bytes {start}-{content.Length - 1}/{content.Length}";
        }
        var body = content.AsMemory((int)start);
        response.ContentLength64 = body.Length;
        var dropAfter = _dropAfter.TryRemove(file, out var n) ? n : long.MaxValue;
        for (var offset = 0; offset < body.Length;)
        {
            var chunk = (int)Math.Min(Math.Min(16384, body.Length - offset), dropAfter - offset);
            if (chunk <= 0)
            {
                await response.OutputStream.FlushAsync();
                await Task.Delay(50);
                response.Abort();
                return;
            }
            await response.OutputStream.WriteAsync(body.Slice(offset, chunk));
            offset += chunk;
            if (Throttle > TimeSpan.Zero) await Task.Delay(Throttle);
        }
        response.Close();
    }

    private static async Task Send(HttpListenerResponse response, byte[] content, string method)
    {
        response.StatusCode = 200;
        response.ContentLength64 = content.Length;
        if (method != "HEAD") await response.OutputStream.WriteAsync(content);
        response.Close();
    }

    private static void Finish(HttpListenerResponse response, int status, string? errorCode)
    {
        response.StatusCode = status;
        if (errorCode is not null) response.Headers["X-Error-Code"] = errorCode;
        response.ContentLength64 = 0;
        response.Close();
    }
}
