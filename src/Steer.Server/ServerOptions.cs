namespace Steer.Server;

/// <summary>Where the server listens and the limits that keep one client from exhausting it.</summary>
public sealed record ServerOptions
{
    /// <summary>An IP address or "localhost". Loopback by default: the API has no authentication.</summary>
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

    public ServerOptions Validate()
    {
        if (Port is < 0 or > 65535) throw Invalid($"--port must be in 0..65535, got {Port}");
        if (MaxBodyBytes < 1024) throw Invalid($"the body limit must be at least 1024 bytes, got {MaxBodyBytes}");
        if (MaxTokens < 1) throw Invalid($"--max-tokens must be at least 1, got {MaxTokens}");
        if (MaxN < 1) throw Invalid($"--max-n must be at least 1, got {MaxN}");
        if (MaxBatchRows < MaxN) throw Invalid($"--max-batch ({MaxBatchRows}) must be at least --max-n ({MaxN})");
        if (MaxQueue < 1) throw Invalid($"--max-queue must be at least 1, got {MaxQueue}");
        if (RequestTimeout <= TimeSpan.Zero) throw Invalid($"--timeout must be positive, got {RequestTimeout.TotalSeconds} s");
        return this;
    }

    private static SteerException Invalid(string message) => new(ErrorKind.InvalidArgument, message);
}
