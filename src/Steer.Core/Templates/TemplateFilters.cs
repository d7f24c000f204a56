using System.Globalization;

namespace Steer.Templates;

/// <summary>The filters, tests and value methods a template may use: a closed list, everything else is refused.</summary>
internal static class TemplateFilters
{
    static readonly HashSet<string> Filters =
    [
        "trim", "length", "count", "list", "string", "tojson", "items", "selectattr", "rejectattr", "select", "reject",
        "map", "join", "first", "last", "lower", "upper", "default", "d", "capitalize", "title", "replace", "int",
        "float", "abs", "reverse", "safe", "unique", "sum", "min", "max", "dictsort", "sort",
    ];

    static readonly HashSet<string> Tests =
    [
        "defined", "undefined", "none", "string", "number", "integer", "float", "boolean", "iterable", "mapping",
        "sequence", "equalto", "eq", "==", "ne", "!=", "true", "false", "in", "odd", "even", "divisibleby", "lower", "upper",
    ];

    public static bool IsFilter(string name) => Filters.Contains(name);
    public static bool IsTest(string name) => Tests.Contains(name);

    static object? Arg(List<object?> args, PyDict kwargs, int i, string name, object? fallback) =>
        kwargs.TryGetValue(name, out var v) ? v : i < args.Count ? args[i] : fallback;

    public static object? ApplyFilter(string name, object? v, List<object?> args, PyDict kwargs, int line)
    {
        switch (name)
        {
            case "trim": return Strip(Py.Str(v), Arg(args, kwargs, 0, "chars", null) as string, true, true);
            case "length" or "count":
                return v switch
                {
                    string s => (long)s.EnumerateRunes().Count(),
                    Undefined => 0L,
                    List<object?> or object?[] or PyDict => (long)Py.Iterate(v, line).Count,
                    _ => throw Py.Error($"object of type '{Py.TypeName(v)}' has no len()", line),
                };
            case "list": return Py.Iterate(v, line).ToList();
            case "string": return Py.Str(v);
            case "safe": return v;
            case "tojson":
                {
                    var indent = Arg(args, kwargs, 0, "indent", null);
                    return TemplateJson.Dumps(v, indent is null ? null : (int)Py.ToLong(indent), line);
                }
            case "items":
                return v switch
                {
                    Undefined => new List<object?>(),
                    PyDict d => d.Select(kv => (object?)new object?[] { kv.Key, kv.Value }).ToList(),
                    _ => throw Py.Error($"can only get item pairs from a mapping, not {Py.TypeName(v)}", line),
                };
            case "dictsort" when v is PyDict d:
                return d.OrderBy(kv => kv.Key, StringComparer.OrdinalIgnoreCase).Select(kv => (object?)new object?[] { kv.Key, kv.Value }).ToList();
            case "selectattr" or "rejectattr":
                {
                    bool want = name == "selectattr";
                    var attr = Py.Str(Arg(args, kwargs, 0, "attr", ""));
                    var result = new List<object?>();
                    foreach (var item in Py.Iterate(v, line))
                    {
                        var field = TemplateMethods.GetItem(item, attr);
                        bool ok = args.Count > 1 ? ApplyTest(Py.Str(args[1]), field, args.Skip(2).ToList(), line) : Py.Truthy(field);
                        if (ok == want) result.Add(item);
                    }
                    return result;
                }
            case "select" or "reject":
                {
                    bool want = name == "select";
                    var result = new List<object?>();
                    foreach (var item in Py.Iterate(v, line))
                    {
                        bool ok = args.Count > 0 ? ApplyTest(Py.Str(args[0]), item, args.Skip(1).ToList(), line) : Py.Truthy(item);
                        if (ok == want) result.Add(item);
                    }
                    return result;
                }
            case "map":
                {
                    if (kwargs.TryGetValue("attribute", out var attr))
                        return Py.Iterate(v, line).Select(x => TemplateMethods.GetItem(x, Py.Str(attr)) is Undefined && kwargs.TryGetValue("default", out var def) ? def : TemplateMethods.GetItem(x, Py.Str(attr))).ToList();
                    if (args.Count > 0)
                        return Py.Iterate(v, line).Select(x => ApplyFilter(Py.Str(args[0]), x, args.Skip(1).ToList(), new PyDict(), line)).ToList();
                    throw Py.Error("map needs a filter name or attribute=", line);
                }
            case "join":
                return string.Join(Py.Str(Arg(args, kwargs, 0, "d", "")), Py.Iterate(v, line).Select(Py.Str));
            case "first": { var l = Py.Iterate(v, line); return l.Count > 0 ? l[0] : new Undefined("first"); }
            case "last": { var l = Py.Iterate(v, line); return l.Count > 0 ? l[^1] : new Undefined("last"); }
            case "lower": return Py.Str(v).ToLowerInvariant();
            case "upper": return Py.Str(v).ToUpperInvariant();
            case "capitalize": { var s = Py.Str(v); return s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant(); }
            case "title": return CultureInfo.InvariantCulture.TextInfo.ToTitleCase(Py.Str(v).ToLowerInvariant());
            case "default" or "d":
                {
                    bool boolean = Py.Truthy(Arg(args, kwargs, 1, "boolean", false));
                    return v is Undefined || (boolean && !Py.Truthy(v)) ? Arg(args, kwargs, 0, "default_value", "") : v;
                }
            case "replace": return TemplateMethods.Call(Py.Str(v), "replace", args, line);
            case "int":
                return v switch
                {
                    long or bool => Py.ToLong(v),
                    double d => (long)Math.Truncate(d),
                    string s when long.TryParse(s.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) => l,
                    string s when double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => (long)Math.Truncate(d),
                    _ => Arg(args, kwargs, 0, "default", 0L),
                };
            case "float":
                return v switch
                {
                    long or bool or double => Py.ToDouble(v),
                    string s when double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
                    _ => Arg(args, kwargs, 0, "default", 0.0),
                };
            case "abs": return v is double d2 ? Math.Abs(d2) : (object)Math.Abs(Py.ToLong(v));
            case "reverse":
                return v is string rs ? new string(rs.Reverse().ToArray()) : Py.Iterate(v, line).Reverse().ToList();
            case "unique":
                {
                    var r = new List<object?>();
                    foreach (var x in Py.Iterate(v, line)) if (!r.Any(y => Py.Equal(x, y))) r.Add(x);
                    return r;
                }
            case "sum": return Py.Iterate(v, line).Aggregate((object?)0L, (a, b) => TemplateEvaluator.Arith("+", a, b, line));
            case "min" or "max" or "sort":
                {
                    var l = Py.Iterate(v, line).ToList();
                    l.Sort((a, b) => TemplateEvaluator.Compare(a, b, line));
                    if (name == "sort") { if (Py.Truthy(Arg(args, kwargs, 0, "reverse", false))) l.Reverse(); return l; }
                    return l.Count == 0 ? new Undefined(name) : name == "min" ? l[0] : l[^1];
                }
            default: throw Py.Error($"unsupported filter '{name}'", line);
        }
    }

    public static bool ApplyTest(string name, object? v, List<object?> args, int line) => name switch
    {
        "defined" => v is not Undefined,
        "undefined" => v is Undefined,
        "none" => v is null,
        "string" => v is string,
        "number" => v is long or double or bool,
        "integer" => v is long,
        "float" => v is double,
        "boolean" => v is bool,
        "true" => v is true,
        "false" => v is false,
        "iterable" => v is string or List<object?> or object?[] or PyDict or Undefined,
        "sequence" => v is string or List<object?> or object?[] or PyDict,
        "mapping" => v is PyDict,
        "equalto" or "eq" or "==" => Py.Equal(v, args.ElementAtOrDefault(0)),
        "ne" or "!=" => !Py.Equal(v, args.ElementAtOrDefault(0)),
        "in" => TemplateEvaluator.Contains(args.ElementAtOrDefault(0), v, line),
        "odd" => Py.ToLong(v) % 2 != 0,
        "even" => Py.ToLong(v) % 2 == 0,
        "divisibleby" => Py.ToLong(v) % Py.ToLong(args.ElementAtOrDefault(0)) == 0,
        "lower" => Py.Str(v) == Py.Str(v).ToLowerInvariant(),
        "upper" => Py.Str(v) == Py.Str(v).ToUpperInvariant(),
        _ => throw Py.Error($"unsupported test '{name}'", line),
    };

    /// <summary>Python's str.strip: without chars it removes Python's whitespace set (\r, \t, \v, \f, \x1c-\x1f included).</summary>
    public static string Strip(string s, string? chars, bool left, bool right)
    {
        Func<char, bool> strip = chars is null ? c => char.IsWhiteSpace(c) || (c >= '\x1c' && c <= '\x1f') : c => chars.Contains(c);
        int a = 0, b = s.Length;
        if (left) while (a < b && strip(s[a])) a++;
        if (right) while (b > a && strip(s[b - 1])) b--;
        return s[a..b];
    }
}
