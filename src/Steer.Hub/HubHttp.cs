using System.Net;
using System.Net.Http.Headers;

namespace Steer.Hub;

/// <summary>A failure worth retrying: the network, a timeout, or the server's 5xx or 429. The message says why, for people.</summary>
internal sealed class HubTransientException(string reason, Exception? inner = null) : Exception(reason, inner);

/// <summary>
/// HTTP to the Hub. Redirects are followed by hand, so that the token is sent to the endpoint's own host
/// (scheme, host and port) and never to a storage host it redirects to; answers must come within the timeout.
/// </summary>
internal sealed class HubHttp : IDisposable
{
    private const int MaxRedirects = 10;
    private static readonly ProductInfoHeaderValue UserAgent =
        new("steer", typeof(HubHttp).Assembly.GetName().Version?.ToString(3) ?? "0");

    private readonly HttpClient _client;

    public HubHttp(HubOptions options)
    {
        Options = options;
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = options.Timeout,
        };
        // Timeouts are per answer and per read (see SendAsync and BlobDownload), never for a whole multi-GB transfer.
        _client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    public HubOptions Options { get; }

    /// <summary>
    /// Sends a request and returns once the headers arrive. With <paramref name="relativeRedirectsOnly"/> only
    /// redirects without a host are followed (huggingface_hub's rule for HEAD: such a redirect is a renamed repo,
    /// while one to another host is where the file's bytes are, to be reported rather than followed).
    /// </summary>
    /// <param name="rangeFrom">When positive, asks for the bytes from this offset on (a resumed download).</param>
    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, Uri url, long rangeFrom, bool relativeRedirectsOnly,
        CancellationToken cancellation)
    {
        for (var hop = 0; ; hop++)
        {
            var response = await SendOnceAsync(method, url, rangeFrom, cancellation).ConfigureAwait(false);
            if ((int)response.StatusCode is < 300 or > 399 || Location(response, url) is not var (next, relative))
                return response;
            if (relativeRedirectsOnly && !relative)
                return response;
            response.Dispose();
            if (hop == MaxRedirects)
                throw new SteerException(ErrorKind.Environment, $"{Describe(url)} redirects more than {MaxRedirects} times.");
            url = next;
        }
    }

    /// <summary>The absolute download address of a redirect, or null when the answer is not one.</summary>
    public static Uri? RedirectTarget(HttpResponseMessage response, Uri requested) =>
        (int)response.StatusCode is >= 300 and <= 399 && Location(response, requested) is var (target, _) ? target : null;

    /// <summary>True when a request to <paramref name="url"/> may carry the token: the same scheme, host and port as the endpoint.</summary>
    public bool IsEndpointHost(Uri url) =>
        url.Scheme == Options.Endpoint.Scheme
        && string.Equals(url.Host, Options.Endpoint.Host, StringComparison.OrdinalIgnoreCase)
        && url.Port == Options.Endpoint.Port;

    /// <summary>
    /// Runs <paramref name="attempt"/>, retrying transient failures with exponential backoff. A failed attempt
    /// for which <paramref name="progressed"/> says true (bytes arrived) does not count against the retries,
    /// so a flaky connection still finishes a large file.
    /// </summary>
    /// <param name="retries">At most this many retries, when fewer than the options allow.</param>
    public async Task<T> RetryAsync<T>(Func<Task<T>> attempt, Func<bool>? progressed, CancellationToken cancellation, int? retries = null)
    {
        var limit = Math.Min(retries ?? Options.Retries, Options.Retries);
        var failures = 0;
        while (true)
        {
            try
            {
                return await attempt().ConfigureAwait(false);
            }
            catch (HubTransientException)
            {
                if (progressed?.Invoke() == true) failures = 0;
                if (failures >= limit) throw;
                failures++;
            }
            var delay = Options.RetryDelay * Math.Pow(2, failures - 1);
            await Task.Delay(delay < Options.MaxRetryDelay ? delay : Options.MaxRetryDelay, cancellation).ConfigureAwait(false);
        }
    }

    /// <summary>Statuses that say "try again later" rather than "no".</summary>
    public static bool IsTransient(HttpStatusCode status) =>
        (int)status >= 500 || status is HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout;

    /// <summary>Scheme, host and path of a URL, for messages: no query (storage URLs carry signatures in it) and no user info.</summary>
    public static string Describe(Uri url) => url.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped);

    /// <summary>Scheme, host and port, for messages, without any user info.</summary>
    public static string Origin(Uri url) => url.GetComponents(UriComponents.SchemeAndServer, UriFormat.UriEscaped);

    public void Dispose() => _client.Dispose();

    private async Task<HttpResponseMessage> SendOnceAsync(HttpMethod method, Uri url, long rangeFrom, CancellationToken cancellation)
    {
        using var request = new HttpRequestMessage(method, url);
        request.Headers.UserAgent.Add(UserAgent);
        // Sizes and resume offsets must be of the bytes as stored, so no compression on the wire.
        request.Headers.TryAddWithoutValidation("Accept-Encoding", "identity");
        if (rangeFrom > 0) request.Headers.Range = new RangeHeaderValue(rangeFrom, null);
        if (Options.Token is { } token && IsEndpointHost(url))
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        timeout.CancelAfter(Options.Timeout);
        try
        {
            return await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (!cancellation.IsCancellationRequested)
        {
            throw new HubTransientException($"{Describe(url)} did not answer within {Options.Timeout.TotalSeconds:0.#} s", e);
        }
        catch (HttpRequestException e)
        {
            throw new HubTransientException($"cannot reach {Describe(url)}: {Reason(e)}", e);
        }
    }

    /// <summary>The innermost message, e.g. "Connection refused (127.0.0.1:9)" rather than "An error occurred while sending the request."</summary>
    internal static string Reason(Exception e)
    {
        while (e.InnerException is not null) e = e.InnerException;
        return e.Message;
    }

    /// <summary>
    /// The Location of a redirect, resolved against the request, and whether it was relative (had no host).
    /// Read raw because on Unix a bare "/path" would otherwise parse as an absolute file:// URI.
    /// </summary>
    private static (Uri Target, bool Relative)? Location(HttpResponseMessage response, Uri requested)
    {
        if (!response.Headers.NonValidated.TryGetValues("Location", out var values) || values.Count == 0)
            return null;
        var raw = values.ToString();
        if (Uri.TryCreate(raw, UriKind.Absolute, out var absolute) && absolute.Scheme is "http" or "https")
            return (absolute, false);
        return Uri.TryCreate(requested, raw, out var relative) ? (relative, true) : null;
    }
}
