using System.Text;

namespace Steer.Hub;

/// <summary>Where and how models are fetched from the Hugging Face Hub; <see cref="FromEnvironment"/> reads huggingface_hub's variables.</summary>
public sealed record HubOptions
{
    public const string DefaultEndpoint = "https://huggingface.co";

    /// <summary>The Hub or a mirror ($HF_ENDPOINT). Requests to it carry the token; requests anywhere else never do.</summary>
    public Uri Endpoint { get; init; } = new(DefaultEndpoint);

    /// <summary>An access token for gated or private models ($HF_TOKEN). Never printed: <see cref="ToString"/> hides it.</summary>
    public string? Token { get; init; }

    /// <summary>Use the cache only and never touch the network ($HF_HUB_OFFLINE=1).</summary>
    public bool Offline { get; init; }

    /// <summary>The Hugging Face cache directory (see <see cref="HubCache.Root"/>).</summary>
    public string CacheRoot { get; init; } = HubCache.Root();

    /// <summary>How many times a failed transfer is retried. An attempt that made progress does not use one up.</summary>
    public int Retries { get; init; } = 5;

    /// <summary>The wait before the first retry; it doubles after each failure, up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(8);

    /// <summary>How long connecting, waiting for an answer, or waiting for the next bytes of a file may take.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long to wait for another process downloading the same file; null waits as long as it takes.</summary>
    /// <remarks>The lock is released by the operating system when its holder dies, so an endless wait cannot be a stale lock.</remarks>
    public TimeSpan? LockTimeout { get; init; }

    /// <summary>Receives progress while files download; null reports nothing.</summary>
    public IProgress<DownloadProgress>? Progress { get; init; }

    /// <summary>Receives one-line notes, e.g. that the Hub is unreachable and the cached copy is used.</summary>
    public Action<string>? Notice { get; init; }

    /// <summary>
    /// The options huggingface_hub would use: HF_ENDPOINT, HF_TOKEN (else the token file that
    /// <c>huggingface-cli login</c> writes), HF_HUB_OFFLINE, and the cache root.
    /// </summary>
    public static HubOptions FromEnvironment()
    {
        var endpoint = NonEmpty("HF_ENDPOINT") ?? DefaultEndpoint;
        if (!Uri.TryCreate(endpoint.TrimEnd('/'), UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new SteerException(ErrorKind.InvalidArgument, $"HF_ENDPOINT '{endpoint}' is not an http or https URL.");
        return new HubOptions
        {
            Endpoint = uri,
            Token = NonEmpty("HF_TOKEN") ?? TokenFromFile(),
            Offline = IsTrue(NonEmpty("HF_HUB_OFFLINE")),
            CacheRoot = HubCache.Root(),
        };
    }

    /// <summary>huggingface_hub's reading of a yes/no environment variable: 1, true, yes or on, in any case.</summary>
    public static bool IsTrue(string? value) =>
        value is not null && value.Trim().ToUpperInvariant() is "1" or "TRUE" or "YES" or "ON";

    /// <summary>The token saved by <c>huggingface-cli login</c>: $HF_TOKEN_PATH, else $HF_HOME/token, else ~/.cache/huggingface/token.</summary>
    private static string? TokenFromFile()
    {
        var path = NonEmpty("HF_TOKEN_PATH") is { } explicitPath
            ? HubCache.ExpandHome(explicitPath)
            : Path.Combine(HubCache.HuggingFaceHome(), "token");
        try
        {
            return File.Exists(path) && File.ReadAllText(path).Trim() is { Length: > 0 } token ? token : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string? NonEmpty(string variable) =>
        Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value ? value : null;

    /// <summary>Keeps the token out of ToString, and so out of logs, test failures and debugger views.</summary>
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append($"Endpoint = {HubHttp.Describe(Endpoint)}, Token = {(Token is null ? "(none)" : "(hidden)")}, Offline = {Offline}, ");
        builder.Append($"CacheRoot = {CacheRoot}, Retries = {Retries}, RetryDelay = {RetryDelay}, MaxRetryDelay = {MaxRetryDelay}, ");
        builder.Append($"Timeout = {Timeout}, LockTimeout = {LockTimeout?.ToString() ?? "(none)"}");
        return true;
    }
}
