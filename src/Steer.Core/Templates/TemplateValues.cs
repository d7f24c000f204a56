using System.Globalization;
using System.Text;
using System.Text.Json;
using Steer.Errors;

namespace Steer.Templates;

// Template values are plain .NET objects mirroring Python's: null = None, bool, long, double, string,
// List<object?> = list, object?[] = tuple, PyDict = dict (insertion-ordered), plus the template-only kinds below.
// Nothing else is ever reachable from a template, which is what keeps it sandboxed.

/// <summary>Jinja's default Undefined: prints as '', is falsy and iterates as empty; most other uses fail.</summary>
internal sealed class Undefined(string name)
{
    public string Name { get; } = name;
    public static readonly Undefined Anonymous = new("value");
}

/// <summary>A Python dict: keys kept in insertion order (tojson and items() depend on it).</summary>
internal sealed class PyDict : OrderedDictionary<string, object?>
{
}

/// <summary>The object <c>namespace()</c> returns: the one mutable thing a template may assign attributes on.</summary>
internal sealed class Namespace
{
    public PyDict Attributes { get; } = new();
}

/// <summary>The <c>loop</c> variable of a for loop.</summary>
internal sealed class LoopInfo(IReadOnlyList<object?> items)
{
    public int Index0 { get; set; }
    public object? Get(string name) => name switch
    {
        "index0" => (long)Index0,
        "index" => (long)Index0 + 1,
        "revindex" => (long)(items.Count - Index0),
        "revindex0" => (long)(items.Count - Index0 - 1),
        "first" => Index0 == 0,
        "last" => Index0 == items.Count - 1,
        "length" => (long)items.Count,
        "depth" => 1L,
        "depth0" => 0L,
        "previtem" => Index0 > 0 ? items[Index0 - 1] : new Undefined("previtem"),
        "nextitem" => Index0 < items.Count - 1 ? items[Index0 + 1] : new Undefined("nextitem"),
        _ => new Undefined(name),
    };
}

/// <summary>A global function (raise_exception, strftime_now, namespace, range) or a macro.</summary>
internal sealed class TemplateFunction(string name, Func<List<object?>, PyDict, object?> invoke)
{
    public string Name { get; } = name;
    public object? Invoke(List<object?> args, PyDict kwargs) => invoke(args, kwargs);
}

internal static class Py
{
    public static SteerException Error(string message, int line) => TemplateLexer.Error(message, line);

    /// <summary>Hard cap on any single string a template builds inside one operation (replace, '*').</summary>
    public const int MaxIntermediateChars = 10_000_000;

    public static SteerException LimitError(string what, long limit) =>
        new(ErrorKind.InvalidArgument, $"chat template: limit exceeded: more than {limit} {what}");

    /// <summary>
    /// Fails when printing or serialising <paramref name="v"/> could exceed <paramref name="cap"/> characters:
    /// a list holding one large string many times would otherwise blow up memory before the output check.
    /// </summary>
    public static void EnsureSize(object? v, long cap)
    {
        long total = 0;
        void Walk(object? x)
        {
            if (total > cap) return;
            switch (x)
            {
                case string s: total += s.Length + 2; break;
                case List<object?> l: foreach (var i in l) { total += 2; Walk(i); if (total > cap) return; } break;
                case object?[] t: foreach (var i in t) { total += 2; Walk(i); if (total > cap) return; } break;
                case PyDict d: foreach (var (k, i) in d) { total += k.Length + 4; Walk(i); if (total > cap) return; } break;
                default: total += 8; break;
            }
        }
        Walk(v);
        if (total > cap) throw LimitError("characters in a value", cap);
    }

    public static object? FromJson(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => FromJsonObject(e),
        JsonValueKind.Array => e.EnumerateArray().Select(FromJson).ToList(),
        JsonValueKind.String => e.GetString(),
        JsonValueKind.Number => e.GetRawText().IndexOfAny(['.', 'e', 'E']) < 0 && e.TryGetInt64(out long l) ? (object)l : e.GetDouble(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };

    static PyDict FromJsonObject(JsonElement e)
    {
        var d = new PyDict();
        foreach (var p in e.EnumerateObject()) d[p.Name] = FromJson(p.Value);
        return d;
    }

    /// <summary>Turns caller-supplied .NET values into template values; anything unknown is refused, not reflected on.</summary>
    public static object? FromDotNet(object? v) => v switch
    {
        null or bool or long or double or string or Undefined or PyDict or Namespace or TemplateFunction => v,
        int i => (long)i,
        float f => (double)f,
        decimal m => (double)m,
        JsonElement e => FromJson(e),
        System.Text.Json.Nodes.JsonNode n => FromJson(JsonSerializer.SerializeToElement(n)),
        List<object?> l => l.Select(FromDotNet).ToList(),
        object?[] t => t.Select(FromDotNet).ToArray(),
        IEnumerable<KeyValuePair<string, object?>> d => ToDict(d),
        System.Collections.IDictionary d => ToDict(Entries(d)),
        System.Collections.IEnumerable e when v is not string => e.Cast<object?>().Select(FromDotNet).ToList(),
        _ => throw new SteerException(ErrorKind.InvalidArgument, $"chat template: unsupported variable type {v.GetType().Name}"),
    };

    static IEnumerable<KeyValuePair<string, object?>> Entries(System.Collections.IDictionary d)
    {
        var e = d.GetEnumerator();
        while (e.MoveNext())
            yield return KeyValuePair.Create(Convert.ToString(e.Key, CultureInfo.InvariantCulture) ?? "", e.Value);
    }

    static PyDict ToDict(IEnumerable<KeyValuePair<string, object?>> d)
    {
        var r = new PyDict();
        foreach (var (k, x) in d) r[k] = FromDotNet(x);
        return r;
    }

    public static bool Truthy(object? v) => v switch
    {
        null or Undefined => false,
        bool b => b,
        long l => l != 0,
        double d => d != 0,
        string s => s.Length > 0,
        List<object?> l => l.Count > 0,
        object?[] t => t.Length > 0,
        PyDict d => d.Count > 0,
        _ => true,
    };

    public static bool IsNumber(object? v) => v is long or double or bool;

    public static double ToDouble(object? v) => v switch { long l => l, double d => d, bool b => b ? 1 : 0, _ => 0 };

    public static bool Equal(object? a, object? b)
    {
        if (a is null || b is null) return a is null && b is null;
        if (a is Undefined || b is Undefined) return a is Undefined && b is Undefined;
        if (IsNumber(a) && IsNumber(b))
            return a is double || b is double ? ToDouble(a) == ToDouble(b) : ToLong(a) == ToLong(b);
        if (a is string sa) return b is string sb && sa == sb;
        if (a is List<object?> la) return b is List<object?> lb && la.Count == lb.Count && la.Zip(lb).All(p => Equal(p.First, p.Second));
        if (a is object?[] ta) return b is object?[] tb && ta.Length == tb.Length && ta.Zip(tb).All(p => Equal(p.First, p.Second));
        if (a is PyDict da)
            return b is PyDict db && da.Count == db.Count && da.All(kv => db.TryGetValue(kv.Key, out var x) && Equal(kv.Value, x));
        return ReferenceEquals(a, b);
    }

    public static long ToLong(object? v) => v switch { long l => l, bool b => b ? 1 : 0, double d => (long)d, _ => 0 };

    public static string TypeName(object? v) => v switch
    {
        null => "NoneType",
        Undefined => "Undefined",
        bool => "bool",
        long => "int",
        double => "float",
        string => "str",
        List<object?> => "list",
        object?[] => "tuple",
        PyDict => "dict",
        Namespace => "Namespace",
        LoopInfo => "LoopContext",
        _ => "function",
    };

    /// <summary>Python's <c>str()</c>; Undefined prints as ''.</summary>
    public static string Str(object? v) => v switch
    {
        string s => s,
        Undefined => "",
        _ => Repr(v),
    };

    /// <summary>Python's <c>repr()</c>, which is how containers print.</summary>
    public static string Repr(object? v)
    {
        switch (v)
        {
            case null: return "None";
            case Undefined: return "";
            case bool b: return b ? "True" : "False";
            case long l: return l.ToString(CultureInfo.InvariantCulture);
            case double d: return FloatRepr(d);
            case string s: return StrRepr(s);
            case List<object?> l: return "[" + string.Join(", ", l.Select(Repr)) + "]";
            case object?[] t: return "(" + string.Join(", ", t.Select(Repr)) + (t.Length == 1 ? ",)" : ")");
            case PyDict d: return "{" + string.Join(", ", d.Select(kv => StrRepr(kv.Key) + ": " + Repr(kv.Value))) + "}";
            case Namespace: return "<Namespace>";
            case TemplateFunction f: return $"<function {f.Name}>";
            default: return "<object>";
        }
    }

    public static string FloatRepr(double d)
    {
        if (double.IsNaN(d)) return "nan";
        if (double.IsInfinity(d)) return d > 0 ? "inf" : "-inf";
        double abs = Math.Abs(d);
        if (abs != 0 && (abs < 1e-4 || abs >= 1e16))
        {
            // Shortest round-trip mantissa, Python-style exponent (e-05, e+16).
            var r = d.ToString("R", CultureInfo.InvariantCulture);
            int ei = r.IndexOf('E');
            if (ei < 0)
            {
                // .NET printed a large value in full ("10000000000000000"); Python writes 1e+16.
                string sign = r.StartsWith('-') ? "-" : "", digits = r.TrimStart('-');
                int exp10 = digits.Length - 1;
                string sig = digits.TrimEnd('0');
                return sign + sig[0] + (sig.Length > 1 ? "." + sig[1..] : "") + "e+" + exp10.ToString("00", CultureInfo.InvariantCulture);
            }
            string mant = r[..ei], exp = r[(ei + 1)..];
            int n = int.Parse(exp, CultureInfo.InvariantCulture);
            return mant + "e" + (n < 0 ? "-" : "+") + Math.Abs(n).ToString("00", CultureInfo.InvariantCulture);
        }
        var s = d.ToString("R", CultureInfo.InvariantCulture);
        if (s.Contains('E'))
            s = decimal.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture);
        return s.Contains('.') ? s : s + ".0";
    }

    static string StrRepr(string s)
    {
        char q = s.Contains('\'') && !s.Contains('"') ? '"' : '\'';
        var sb = new StringBuilder().Append(q);
        foreach (char c in s)
        {
            switch (c)
            {
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (c == q) sb.Append('\\').Append(c);
                    else if (c < 0x20 || c == 0x7f) sb.Append($"\\x{(int)c:x2}");
                    else sb.Append(c);
                    break;
            }
        }
        return sb.Append(q).ToString();
    }

    /// <summary>Python iteration: lists and tuples by item, dicts by key, strings by character; Undefined is empty.</summary>
    public static IReadOnlyList<object?> Iterate(object? v, int line) => v switch
    {
        Undefined => [],
        List<object?> l => l,
        object?[] t => t,
        PyDict d => d.Keys.Cast<object?>().ToList(),
        string s => Chars(s),
        _ => throw Error($"'{TypeName(v)}' object is not iterable", line),
    };

    static List<object?> Chars(string s)
    {
        // Python strings are sequences of code points, so a non-BMP emoji is one item, not two UTF-16 halves.
        var r = new List<object?>();
        foreach (var rune in s.EnumerateRunes()) r.Add(rune.ToString());
        return r;
    }
}
