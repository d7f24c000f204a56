using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Steer.Hub;

/// <summary>What the Hub says about a repository at a revision: the commit it points at, and the repository's files.</summary>
internal sealed record RepoInfo(string Commit, IReadOnlyList<string> Files);

/// <summary>
/// What a HEAD of resolve/&lt;commit&gt;/&lt;file&gt; says: the blob's etag (for LFS files the sha256 of the content),
/// its size when known, and where to GET the bytes (the storage host for LFS files).
/// </summary>
internal sealed record FileMetadata(string File, string Etag, long? Size, Uri DownloadUrl)
{
    /// <summary>The expected sha256 of the content: LFS etags are one, git etags (sha1 of a git blob) are not.</summary>
    public string? Sha256 => Etag.Length == 64 && Etag.All(char.IsAsciiHexDigitLower) ? Etag : null;
}

/// <summary>The two Hub endpoints Steer uses, the way huggingface_hub calls them, with their failures turned into messages.</summary>
internal sealed partial class HubApi(HubHttp http)
{
    private HubOptions Options => http.Options;

    /// <summary>GET {endpoint}/api/models/{repo}/revision/{revision}: the commit and the file list.</summary>
    public async Task<RepoInfo> ModelInfoAsync(string repoId, string revision, CancellationToken cancellation)
    {
        var url = Url($"api/models/{repoId}/revision/{Uri.EscapeDataString(revision)}");
        using var response = await http.SendAsync(HttpMethod.Get, url, 0, relativeRedirectsOnly: false, cancellation).ConfigureAwait(false);
        ThrowIfFailed(response, url, repoId, revision, file: null);
        if (response.StatusCode != HttpStatusCode.OK)
            throw Unexpected(response, url);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        timeout.CancelAfter(Options.Timeout);
        byte[] body;
        try
        {
            body = await response.Content.ReadAsByteArrayAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or HttpRequestException
            || (e is OperationCanceledException && !cancellation.IsCancellationRequested))
        {
            throw new HubTransientException($"reading the answer of {HubHttp.Describe(url)} failed: {HubHttp.Reason(e)}", e);
        }
        return ParseModelInfo(body, url, repoId);
    }

    /// <summary>HEAD {endpoint}/{repo}/resolve/{commit}/{file}, following only same-host redirects (renamed repositories).</summary>
    public async Task<FileMetadata> FileMetadataAsync(string repoId, string commit, string file, CancellationToken cancellation)
    {
        var url = Url($"{repoId}/resolve/{commit}/{string.Join('/', file.Split('/').Select(Uri.EscapeDataString))}");
        using var response = await http.SendAsync(HttpMethod.Head, url, 0, relativeRedirectsOnly: true, cancellation).ConfigureAwait(false);
        ThrowIfFailed(response, url, repoId, commit, file);
        var final = response.RequestMessage?.RequestUri ?? url;
        var downloadUrl = HubHttp.RedirectTarget(response, final);
        if (downloadUrl is null && response.StatusCode != HttpStatusCode.OK)
            throw Unexpected(response, url);

        var etag = Header(response, "X-Linked-Etag") ?? Header(response, "ETag")
            ?? throw new SteerException(ErrorKind.Environment,
                $"{HubHttp.Describe(url)} gave no ETag for '{file}'; is {HubHttp.Describe(Options.Endpoint)} a Hugging Face Hub or mirror?");
        etag = NormalizeEtag(etag);
        // The etag names the blob file, so it must be a harmless file name whatever the server sent.
        if (!SafeEtag().IsMatch(etag) || etag.Contains("..", StringComparison.Ordinal))
            throw new SteerException(ErrorKind.Environment, $"{HubHttp.Describe(url)} gave '{file}' an ETag that is not usable as a file name.");

        long? size = long.TryParse(Header(response, "X-Linked-Size"), out var linked) ? linked
            : downloadUrl is null ? response.Content.Headers.ContentLength : null;
        return new FileMetadata(file, etag, size, downloadUrl ?? final);
    }

    /// <summary>Etags are stored as huggingface_hub stores them: without quotes and without a weak "W/" prefix.</summary>
    internal static string NormalizeEtag(string etag)
    {
        etag = etag.Trim();
        if (etag.StartsWith("W/", StringComparison.Ordinal)) etag = etag[2..];
        return etag.Trim('"');
    }

    private Uri Url(string path) => new(Options.Endpoint.AbsoluteUri.TrimEnd('/') + "/" + path);

    private static RepoInfo ParseModelInfo(byte[] body, Uri url, string repoId)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            var commit = root.TryGetProperty("sha", out var sha) && sha.ValueKind == JsonValueKind.String ? sha.GetString()! : "";
            if (!HubCache.IsCommit(commit))
                throw new SteerException(ErrorKind.Environment, $"{HubHttp.Describe(url)} gave no commit hash for '{repoId}'.");
            if (!root.TryGetProperty("siblings", out var siblings) || siblings.ValueKind != JsonValueKind.Array)
                throw new SteerException(ErrorKind.Environment, $"{HubHttp.Describe(url)} does not list the files of '{repoId}'.");
            var files = siblings.EnumerateArray()
                .Select(s => s.ValueKind == JsonValueKind.Object && s.TryGetProperty("rfilename", out var name)
                    && name.ValueKind == JsonValueKind.String ? name.GetString()! : "")
                .Where(name => name.Length > 0)
                .ToList();
            return new RepoInfo(commit, files);
        }
        catch (JsonException e)
        {
            throw new SteerException(ErrorKind.Environment, $"{HubHttp.Describe(url)} did not answer with JSON ({e.Message}).");
        }
    }

    /// <summary>Turns refusals into messages that say what to do; never includes the token.</summary>
    private void ThrowIfFailed(HttpResponseMessage response, Uri url, string repoId, string revision, string? file)
    {
        var status = response.StatusCode;
        if ((int)status is >= 200 and <= 399) return;
        var code = Header(response, "X-Error-Code");
        var where = HubHttp.Origin(Options.Endpoint);
        switch (status)
        {
            case HttpStatusCode.Unauthorized:
                throw new SteerException(ErrorKind.NotFound, Options.Token is null
                    ? $"Model '{repoId}' on {where} needs a token (HTTP 401): it is gated or private, or does not exist. " +
                      "For a gated or private model set HF_TOKEN to an access token of an account that may read it " +
                      "(https://huggingface.co/settings/tokens)."
                    : $"Model '{repoId}' on {where} refused the token in HF_TOKEN (HTTP 401): the token is invalid, or the " +
                      "model does not exist or is private to another account.");
            case HttpStatusCode.Forbidden:
                throw new SteerException(ErrorKind.NotFound,
                    $"Model '{repoId}' on {where} is gated or private and access is denied (HTTP 403): " +
                    (Options.Token is null
                        ? "set HF_TOKEN to an access token of an account that was granted access."
                        : "the token's account has not been granted access (request it on the model's page), or the token lacks read permission."));
            case HttpStatusCode.NotFound when code == "RevisionNotFound":
                throw new SteerException(ErrorKind.NotFound, $"Revision '{revision}' of model '{repoId}' was not found on {where}.");
            case HttpStatusCode.NotFound when file is not null && code != "RepoNotFound":
                throw new SteerException(ErrorKind.NotFound, $"File '{file}' of model '{repoId}' (commit {revision}) was not found on {where}.");
            case HttpStatusCode.NotFound:
                throw new SteerException(ErrorKind.NotFound, $"Model '{repoId}' was not found on {where} (HTTP 404).");
        }
        if (HubHttp.IsTransient(status))
            throw new HubTransientException($"{HubHttp.Describe(url)} answered HTTP {(int)status} {response.ReasonPhrase}");
        throw Unexpected(response, url);
    }

    private static SteerException Unexpected(HttpResponseMessage response, Uri url) => new(ErrorKind.Environment,
        $"{HubHttp.Describe(url)} answered HTTP {(int)response.StatusCode} {response.ReasonPhrase}, which Steer does not expect.");

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.NonValidated.TryGetValues(name, out var values) && values.Count > 0 ? values.ToString()
        : response.Content.Headers.NonValidated.TryGetValues(name, out values) && values.Count > 0 ? values.ToString()
        : null;

    [GeneratedRegex("^[A-Za-z0-9._-]{1,128}$")]
    private static partial Regex SafeEtag();
}
