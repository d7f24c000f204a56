using System.Text;

namespace Steer.Server.Completions;

/// <summary>
/// Ends a completion at the first stop string, which is left out of the text. Text arrives piece by piece; what is
/// released can never turn out to be part of a stop string, so a stream never shows text it must take back: a
/// tail that could still begin a stop string is held until the next piece decides.
/// </summary>
internal sealed class StopMatcher(IReadOnlyList<string> stops)
{
    private readonly StringBuilder _text = new();
    private int _released;

    /// <summary>The text so far, cut before the stop string once one is found.</summary>
    public string Text => Stopped ? _text.ToString(0, _released) : _text.ToString();

    public bool Stopped { get; private set; }

    /// <summary>Adds a piece of text and returns what can be released now (possibly "").</summary>
    public string Push(string piece)
    {
        if (Stopped) return "";
        _text.Append(piece);
        if (stops.Count == 0) return Release(_text.Length);
        var text = _text.ToString();
        // A stop string cannot start before _released: everything released was checked not to begin one.
        var first = stops.Select(s => text.IndexOf(s, _released, StringComparison.Ordinal)).Where(i => i >= 0).DefaultIfEmpty(-1).Min();
        if (first >= 0)
        {
            var released = Release(first);
            Stopped = true;
            return released;
        }
        return Release(text.Length - HeldBack(text));
    }

    /// <summary>The end of the text: whatever was held back is released.</summary>
    public string Flush() => Stopped ? "" : Release(_text.Length);

    /// <summary>The longest tail of the unreleased text that is the start of some stop string.</summary>
    private int HeldBack(string text)
    {
        var pending = text.Length - _released;
        for (var length = Math.Min(pending, stops.Max(s => s.Length) - 1); length > 0; length--)
        {
            var tail = text[^length..];
            if (stops.Any(s => s.StartsWith(tail, StringComparison.Ordinal))) return length;
        }
        return 0;
    }

    private string Release(int end)
    {
        var released = _text.ToString(_released, end - _released);
        _released = end;
        return released;
    }
}
