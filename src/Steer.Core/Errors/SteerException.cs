namespace Steer.Errors;

/// <summary>What went wrong, which also decides the CLI's exit code (see README, "Exit codes").</summary>
public enum ErrorKind
{
    /// <summary>A bad argument or value: out of range, NaN, unknown hook point, a prompt too long.</summary>
    InvalidArgument,
    /// <summary>A model, file or id that cannot be found.</summary>
    NotFound,
    /// <summary>A model or file that exists but is malformed, truncated, or in a refused format.</summary>
    InvalidModel,
    /// <summary>The machine cannot do what was asked: native library, device or dtype unavailable.</summary>
    Environment,
}

/// <summary>An error caused by the user's input or environment, with a message meant for people.</summary>
public sealed class SteerException(ErrorKind kind, string message, Exception? inner = null) : Exception(message, inner)
{
    public ErrorKind Kind { get; } = kind;
}
