namespace Steer.Cli;

/// <summary>The documented exit codes (README, "Exit codes").</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    /// <summary>A bug in Steer: anything that is not the user's mistake or the environment's.</summary>
    public const int Internal = 1;
    /// <summary>Bad command line or value: unknown option, NaN, out-of-range layer, prompt too long.</summary>
    public const int Usage = 2;
    /// <summary>A model, file or id that cannot be found.</summary>
    public const int NotFound = 3;
    /// <summary>A model or file that is malformed, truncated or in a refused format (pickle).</summary>
    public const int InvalidModel = 4;
    /// <summary>The machine cannot do it: native library, device or dtype unavailable.</summary>
    public const int Environment = 5;

    public static int For(ErrorKind kind) => kind switch
    {
        ErrorKind.InvalidArgument => Usage,
        ErrorKind.NotFound => NotFound,
        ErrorKind.InvalidModel => InvalidModel,
        ErrorKind.Environment => Environment,
        _ => Internal,
    };
}
