namespace Steer.Soak;

/// <summary>
/// One kind of request in the mix: how often it is picked, the statuses it should get (429 is always fine: a full
/// queue is the server protecting itself), and how to send the <c>n</c>-th one.
/// </summary>
internal sealed record RequestKind(string Name, int Weight, int[] Expected, Func<int, CancellationToken, Task<Outcome>> Send)
{
    public bool IsExpected(Outcome outcome) => outcome.Status == 429 || Array.IndexOf(Expected, outcome.Status ?? -1) >= 0;
}
