using System.Net;

namespace Steer.Server;

/// <summary>Where the server listens, who may call it, and the limits that keep one client from exhausting it.</summary>
public sealed record ServerOptions
{
    /// <summary>An IP address or "localhost". Loopback by default; any other address needs <see cref="ApiKey"/> or <see cref="InsecureNoAuth"/>.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>0 picks a free port (see <see cref="SteerServer.Addresses"/>).</summary>
    public int Port { get; init; } = 8080;

    /// <summary>Largest request body accepted; larger ones get 413.</summary>
    public long MaxBodyBytes { get; init; } = 1 << 20;

    /// <summary>Largest <c>max_tokens</c>; a prompt plus its tokens must also fit the model's context.</summary>
    public int MaxTokens { get; init; } = 1024;

    /// <summary>Largest <c>n</c>.</summary>
    public int MaxN { get; init; } = 16;

    /// <summary>Most completions (prompts × n) one request may ask for, and most rows the worker puts in one batch.</summary>
    public int MaxBatchRows { get; init; } = 32;

    /// <summary>Requests waiting for the worker; one more gets 429 with Retry-After.</summary>
    public int MaxQueue { get; init; } = 64;

    /// <summary>Steering vectors that POST /v1/vectors may register.</summary>
    public int MaxVectors { get; init; } = 256;

    /// <summary>A request still queued or generating after this long is cancelled (504).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How long an idle worker waits after the first request for others to batch with it.</summary>
    public TimeSpan BatchWindow { get; init; } = TimeSpan.FromMilliseconds(5);

    /// <summary>When set, every route under /v1 needs <c>Authorization: Bearer</c> this key; /healthz, /metrics and the playground stay open.</summary>
    public string? ApiKey { get; init; }

    /// <summary>Allows a non-loopback <see cref="Host"/> without <see cref="ApiKey"/>: anyone who can reach the port may use the API.</summary>
    public bool InsecureNoAuth { get; init; }

    /// <summary>Adds each request's body (truncated) to its log line; off by default because prompts may be private.</summary>
    public bool LogPrompts { get; init; }

    /// <summary>Where vectors registered with POST /v1/vectors are kept across restarts; null keeps them in memory only.</summary>
    public string? VectorDirectory { get; init; }

    /// <summary>How long a stopping server lets requests in flight (queued or generating) finish before it fails them with 503.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public ServerOptions Validate()
    {
        if (Port is < 0 or > 65535) throw Invalid($"--port must be in 0..65535, got {Port}");
        if (MaxBodyBytes < 1024) throw Invalid($"the body limit must be at least 1024 bytes, got {MaxBodyBytes}");
        if (MaxTokens < 1) throw Invalid($"--max-tokens must be at least 1, got {MaxTokens}");
        if (MaxN < 1) throw Invalid($"--max-n must be at least 1, got {MaxN}");
        if (MaxBatchRows < MaxN) throw Invalid($"--max-batch ({MaxBatchRows}) must be at least --max-n ({MaxN})");
        if (MaxQueue < 1) throw Invalid($"--max-queue must be at least 1, got {MaxQueue}");
        if (RequestTimeout <= TimeSpan.Zero) throw Invalid($"--timeout must be positive, got {RequestTimeout.TotalSeconds} s");
        if (ShutdownTimeout < TimeSpan.Zero) throw Invalid($"--shutdown-timeout must not be negative, got {ShutdownTimeout.TotalSeconds} s");
        if (ApiKey is { } key && (key.Length == 0 || key.Any(char.IsWhiteSpace)))
            throw Invalid("--api-key must be a non-empty key without spaces");
        if (VectorDirectory is { Length: 0 }) throw Invalid("--vector-dir must name a directory");
        if (ApiKey is null && !InsecureNoAuth && !IsLoopback(Host))
            throw Invalid($"--host {Host} is reachable from other machines, and the API would have no authentication: "
                + "give --api-key (or STEER_API_KEY), or --insecure-no-auth to serve it open anyway");
        return this;
    }

    /// <summary>The key itself never appears in a log or an error message, so the record's printout hides it.</summary>
    public override string ToString() => $"ServerOptions {{ Host = {Host}, Port = {Port}, ApiKey = {(ApiKey is null ? "none" : "(set)")}, "
        + $"InsecureNoAuth = {InsecureNoAuth}, LogPrompts = {LogPrompts}, VectorDirectory = {VectorDirectory}, MaxTokens = {MaxTokens}, "
        + $"MaxN = {MaxN}, MaxBatchRows = {MaxBatchRows}, MaxQueue = {MaxQueue}, RequestTimeout = {RequestTimeout}, ShutdownTimeout = {ShutdownTimeout} }}";

    /// <summary>
    /// 127.0.0.0/8, ::1 and localhost. An address that does not parse is not judged here: binding it fails with its
    /// own message.
    /// </summary>
    internal static bool IsLoopback(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || !IPAddress.TryParse(host, out var address) || IPAddress.IsLoopback(address);

    private static SteerException Invalid(string message) => new(ErrorKind.InvalidArgument, message);
}
