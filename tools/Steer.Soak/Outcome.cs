namespace Steer.Soak;

/// <summary>
/// What one request came to: the status the server answered (none if it never did), and a problem that fails the
/// soak however the server answered (a hang, a broken connection, a stream cut short).
/// </summary>
internal readonly record struct Outcome(int? Status, string? Problem = null)
{
    public static Outcome Hang(TimeSpan deadline) => new(null, $"hang: no answer within {deadline.TotalSeconds:0} s");

    public bool Failed => Problem is not null || Status >= 500;

    /// <summary>The label counted in the summary: the status, or the problem's kind for a request without one.</summary>
    public string Label => Problem is null ? Status?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"
        : $"{Status?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "no status"} ({Problem.Split(':')[0]})";
}
