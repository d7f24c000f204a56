using Steer.Generation;
using Steer.Tokenization;

namespace Steer.Server.Completions;

/// <summary>One token's logprobs: what the legacy endpoint's and the chat endpoint's formats are both made from.</summary>
/// <param name="Top">Legacy <c>top_logprobs</c>: the alternatives and the sampled token, by text.</param>
/// <param name="Alternatives">The most likely tokens alone, most likely first (chat's <c>top_logprobs</c>).</param>
internal sealed record LogprobEntry(string Token, double Logprob, IReadOnlyDictionary<string, double> Top, int TextOffset,
    IReadOnlyList<(string Token, double Logprob)> Alternatives);

/// <summary>What one token changed in a choice: released text and, when asked for, its logprobs entry.</summary>
internal sealed record ChoiceDelta(string Text, LogprobEntry? Logprobs);

/// <summary>
/// One choice of a completion as its tokens arrive: the text (decoded incrementally, so a character split across
/// tokens appears whole; cut at a stop string; without the final &lt;|endoftext|&gt;), the finish reason and the logprobs.
/// </summary>
/// <param name="stopIds">The ids that end a completion (the model's EOS ids), which end the choice and are left out of its text.</param>
internal sealed class ChoiceState(ITokenizer tokenizer, IReadOnlyList<int> stopIds, IReadOnlyList<string> stops, bool withLogprobs)
{
    private readonly IncrementalDecoder _decoder = tokenizer.CreateIncrementalDecoder();
    private readonly StopMatcher _stop = new(stops);
    private readonly List<LogprobEntry> _logprobs = [];
    private int _decodedCodePoints;

    /// <summary>Every generated id, &lt;|endoftext|&gt; included (what usage counts).</summary>
    public List<int> Ids { get; } = [];

    /// <summary>"stop" or "length" once finished; null while generating.</summary>
    public string? FinishReason { get; private set; }

    public string Text => _stop.Text;

    /// <summary>Adds a generated token; <paramref name="more"/> is false when it ended the choice (a stop string or &lt;|endoftext|&gt;).</summary>
    public ChoiceDelta Push(int id, TokenLogprobs? logprobs, out bool more)
    {
        Ids.Add(id);
        if (stopIds.Contains(id))
        {
            // OpenAI's text leaves the end-of-text token out; finish_reason "stop" says the model ended it.
            FinishReason = "stop";
            more = false;
            return new ChoiceDelta(_stop.Push(_decoder.Flush()) + _stop.Flush(), null);
        }
        var offset = _decodedCodePoints;
        var piece = _decoder.Push(id);
        _decodedCodePoints += CodePoints(piece);
        var released = _stop.Push(piece);
        LogprobEntry? entry = null;
        if (withLogprobs && logprobs is not null)
        {
            var top = new Dictionary<string, double>();
            // "Up to logprobs + 1 entries", as OpenAI says: the alternatives, and the sampled token when it is not among them.
            foreach (var (alternative, value) in logprobs.Top.Append((id, logprobs.Logprob)))
                top.TryAdd(tokenizer.TokenText(alternative), Finite(value));
            var alternatives = logprobs.Top.Select(t => (tokenizer.TokenText(t.Id), Finite(t.Logprob))).ToList();
            entry = new LogprobEntry(tokenizer.TokenText(id), Finite(logprobs.Logprob), top, offset, alternatives);
            _logprobs.Add(entry);
        }
        more = !_stop.Stopped;
        if (_stop.Stopped) FinishReason = "stop";
        return new ChoiceDelta(released, entry);
    }

    /// <summary>Ends a choice that used its whole budget ("length"); returns the text still held back.</summary>
    public string Finish()
    {
        if (FinishReason is not null) return "";
        var rest = _stop.Push(_decoder.Flush()) + _stop.Flush();
        FinishReason = _stop.Stopped ? "stop" : "length";
        return rest;
    }

    /// <summary>The logprobs of the tokens whose text is in the final text (a token cut off by a stop string is not).</summary>
    public IReadOnlyList<LogprobEntry> Logprobs
    {
        get
        {
            if (!_stop.Stopped) return _logprobs;
            var end = CodePoints(Text);
            return _logprobs.Where(e => e.TextOffset < end).ToList();
        }
    }

    private static int CodePoints(string text) => text.Length - text.Count(char.IsLowSurrogate);

    /// <summary>JSON has no −∞; a token the model finds impossible gets −9999, as vLLM reports it.</summary>
    private static double Finite(double logprob) => double.IsFinite(logprob) ? logprob : -9999.0;
}
