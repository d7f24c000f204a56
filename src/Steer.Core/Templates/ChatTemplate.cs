using System.Collections.Concurrent;
using System.Globalization;
using Steer.Errors;

namespace Steer.Templates;

/// <summary>Bounds on one render, so an untrusted template cannot loop, recurse or write without end.</summary>
internal sealed record TemplateLimits(long MaxLoopIterations = 100_000, int MaxOutputChars = 1_000_000, int MaxRecursionDepth = 100)
{
    public static readonly TemplateLimits Default = new();
}

/// <summary>A template's <c>raise_exception(message)</c>: <see cref="Exception.Message"/> is exactly the message.</summary>
internal sealed class TemplateRaisedException(string message) : Exception(message);

/// <summary>
/// A Hugging Face chat template: the Jinja2 subset transformers' <c>apply_chat_template</c> runs, with the same
/// output (ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks, loopcontrols, generation blocks).
/// Parsed once, immutable, safe to render concurrently.
/// </summary>
internal sealed class ChatTemplate
{
    static readonly ConcurrentDictionary<string, ChatTemplate> Cache = new();
    readonly IReadOnlyList<Node> _nodes;

    ChatTemplate(IReadOnlyList<Node> nodes) => _nodes = nodes;

    /// <summary>Parses (or takes from the cache) a template; syntax errors and unsupported constructs name their line.</summary>
    public static ChatTemplate Parse(string source)
    {
        if (Cache.TryGetValue(source, out var cached)) return cached;
        ChatTemplate template;
        try { template = new ChatTemplate(TemplateParser.Parse(source)); }
        catch (InsufficientExecutionStackException) { throw TooDeep(); }
        // Bounded, since sources may be user-supplied: when full, start over rather than track recency.
        if (Cache.Count >= 256) Cache.Clear();
        Cache.TryAdd(source, template);
        return template;
    }

    /// <summary>
    /// Renders with the given top-level variables (JsonElement/JsonNode, or plain .NET values with ordered
    /// dictionaries). <paramref name="now"/> is what <c>strftime_now</c> formats (default: the local time).
    /// </summary>
    public string Render(IReadOnlyDictionary<string, object?> variables, TemplateLimits? limits = null, DateTime? now = null)
    {
        var evaluator = new TemplateEvaluator(limits ?? TemplateLimits.Default, now ?? DateTime.Now);
        var globals = evaluator.CreateGlobals();
        var vars = new Scope(globals);
        foreach (var (k, v) in variables) vars.Set(k, Py.FromDotNet(v));
        try { return evaluator.Render(_nodes, vars); }
        catch (InsufficientExecutionStackException) { throw TooDeep(); }
    }

    static SteerException TooDeep() => new(ErrorKind.InvalidArgument, "chat template: limit exceeded: nesting too deep");
}

/// <summary>Python's strftime for the directives chat templates use, culture-independent (C locale).</summary>
internal static class Strftime
{
    public static string Format(DateTime t, string format)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new System.Text.StringBuilder();
        for (int i = 0; i < format.Length; i++)
        {
            if (format[i] != '%' || i + 1 >= format.Length) { sb.Append(format[i]); continue; }
            char c = format[++i];
            sb.Append(c switch
            {
                'd' => t.ToString("dd", inv),
                'm' => t.ToString("MM", inv),
                'Y' => t.ToString("yyyy", inv),
                'y' => t.ToString("yy", inv),
                'b' or 'h' => t.ToString("MMM", inv),
                'B' => t.ToString("MMMM", inv),
                'a' => t.ToString("ddd", inv),
                'A' => t.ToString("dddd", inv),
                'H' => t.ToString("HH", inv),
                'I' => t.ToString("hh", inv),
                'M' => t.ToString("mm", inv),
                'S' => t.ToString("ss", inv),
                'p' => t.Hour < 12 ? "AM" : "PM",
                'j' => t.DayOfYear.ToString("000", inv),
                'e' => t.Day.ToString(inv).PadLeft(2),
                '%' => "%",
                _ => throw new SteerException(ErrorKind.InvalidArgument, $"chat template: unsupported strftime directive '%{c}'"),
            });
        }
        return sb.ToString();
    }
}
