namespace Steer.Templates;

/// <summary>
/// Attribute, item and method access on template values. Only Python's str/dict/list methods listed here exist;
/// no .NET member is ever looked up, so a template cannot reach anything but its own data.
/// </summary>
internal static class TemplateMethods
{
    /// <summary><c>x.name</c>: Jinja tries the attribute, then the item; both missing gives Undefined.</summary>
    public static object? GetAttr(object? target, string name, int line) => target switch
    {
        Undefined u => throw Py.Error($"'{u.Name}' is undefined", line),
        PyDict d => d.TryGetValue(name, out var v) ? v : new Undefined(name),
        Namespace ns => ns.Attributes.TryGetValue(name, out var v) ? v : new Undefined(name),
        LoopInfo loop => loop.Get(name),
        _ => new Undefined(name),
    };

    /// <summary>Item lookup without errors (selectattr, map): missing is Undefined.</summary>
    public static object? GetItem(object? target, object? key) => target switch
    {
        PyDict d when key is string s => d.TryGetValue(s, out var v) ? v : new Undefined(s),
        Namespace ns when key is string s => ns.Attributes.TryGetValue(s, out var v) ? v : new Undefined(s),
        List<object?> or object?[] or string when key is long or bool => Index(target, Py.ToLong(key)),
        LoopInfo loop when key is string s => loop.Get(s),
        _ => new Undefined(Py.Str(key)),
    };

    static object? Index(object? target, long i)
    {
        if (target is string s)
        {
            var chars = Py.Iterate(s, 0);
            if (i < 0) i += chars.Count;
            return i >= 0 && i < chars.Count ? chars[(int)i] : new Undefined($"[{i}]");
        }
        var list = (IReadOnlyList<object?>)target!;
        if (i < 0) i += list.Count;
        return i >= 0 && i < list.Count ? list[(int)i] : new Undefined($"[{i}]");
    }

    public static object? Subscript(object? target, object? key, int line) => target switch
    {
        Undefined u => throw Py.Error($"'{u.Name}' is undefined", line),
        _ => GetItem(target, key),
    };

    public static object? Slice(object? target, object? start, object? stop, object? step, int line)
    {
        if (target is Undefined u) throw Py.Error($"'{u.Name}' is undefined", line);
        var items = target switch
        {
            string s => Py.Iterate(s, line),
            List<object?> l => l,
            object?[] t => t,
            _ => throw Py.Error($"'{Py.TypeName(target)}' object is not subscriptable", line),
        };
        int n = items.Count;
        long st = step is null ? 1 : Py.ToLong(step);
        if (st == 0) throw Py.Error("slice step cannot be zero", line);
        long Norm(object? v, long def)
        {
            if (v is null) return def;
            long x = Py.ToLong(v);
            if (x < 0) x += n;
            return st > 0 ? Math.Clamp(x, 0, n) : Math.Clamp(x, -1, n - 1);
        }
        long a = Norm(start, st > 0 ? 0 : n - 1), b = Norm(stop, st > 0 ? n : -1);
        var r = new List<object?>();
        for (long i = a; st > 0 ? i < b : i > b; i += st) r.Add(items[(int)i]);
        return target is string ? string.Concat(r.Select(Py.Str)) : target is object?[]? r.ToArray() : r;
    }

    public static object? Call(object? target, string name, List<object?> args, int line)
    {
        object? A(int i, object? def = null) => i < args.Count ? args[i] : def;
        switch (target)
        {
            case string s:
                switch (name)
                {
                    case "strip": return TemplateFilters.Strip(s, A(0) as string, true, true);
                    case "lstrip": return TemplateFilters.Strip(s, A(0) as string, true, false);
                    case "rstrip": return TemplateFilters.Strip(s, A(0) as string, false, true);
                    case "lower": return s.ToLowerInvariant();
                    case "upper": return s.ToUpperInvariant();
                    case "title": return System.Globalization.CultureInfo.InvariantCulture.TextInfo.ToTitleCase(s.ToLowerInvariant());
                    case "capitalize": return s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant();
                    case "startswith" or "endswith":
                        {
                            var prefixes = A(0) is object?[] t ? t.Select(Py.Str) : [Py.Str(A(0))];
                            return prefixes.Any(p => name == "startswith" ? s.StartsWith(p, StringComparison.Ordinal) : s.EndsWith(p, StringComparison.Ordinal));
                        }
                    case "replace":
                        {
                            string old = Py.Str(A(0)), repl = Py.Str(A(1));
                            long count = A(2) is null ? -1 : Py.ToLong(A(2));
                            if (old.Length > 0 && repl.Length > old.Length)
                            {
                                long hits = (s.Length - s.Replace(old, "", StringComparison.Ordinal).Length) / old.Length;
                                if (count >= 0) hits = Math.Min(hits, count);
                                if (s.Length + hits * (repl.Length - old.Length) > Py.MaxIntermediateChars)
                                    throw Py.LimitError("characters in a value", Py.MaxIntermediateChars);
                            }
                            if (count < 0) return old.Length == 0 ? s : s.Replace(old, repl, StringComparison.Ordinal);
                            var sb = new System.Text.StringBuilder();
                            int pos = 0;
                            for (long k = 0; k < count; k++)
                            {
                                int at = s.IndexOf(old, pos, StringComparison.Ordinal);
                                if (at < 0 || old.Length == 0) break;
                                sb.Append(s, pos, at - pos).Append(repl);
                                pos = at + old.Length;
                            }
                            return sb.Append(s, pos, s.Length - pos).ToString();
                        }
                    case "split" or "rsplit":
                        {
                            long max = A(1) is null ? -1 : Py.ToLong(A(1));
                            if (A(0) is null)
                            {
                                var parts = s.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
                                return parts.Cast<object?>().ToList();
                            }
                            var sep = Py.Str(A(0));
                            if (sep.Length == 0) throw Py.Error("empty separator", line);
                            var pieces = max < 0 ? s.Split(sep) : name == "split" ? s.Split(sep, (int)max + 1) : RSplit(s, sep, (int)max);
                            return pieces.Cast<object?>().ToList();
                        }
                    case "find": return (long)s.IndexOf(Py.Str(A(0)), StringComparison.Ordinal);
                    case "count": { var sub = Py.Str(A(0)); return sub.Length == 0 ? s.Length + 1L : (long)((s.Length - s.Replace(sub, "", StringComparison.Ordinal).Length) / sub.Length); }
                    case "join": return string.Join(s, Py.Iterate(A(0), line).Select(Py.Str));
                }
                break;
            case PyDict d:
                switch (name)
                {
                    case "items": return d.Select(kv => (object?)new object?[] { kv.Key, kv.Value }).ToList();
                    case "keys": return d.Keys.Cast<object?>().ToList();
                    case "values": return d.Values.ToList();
                    case "get": return A(0) is string k && d.TryGetValue(k, out var v) ? v : A(1);
                }
                break;
            case List<object?> l:
                switch (name)
                {
                    case "index": { int i = l.FindIndex(x => Py.Equal(x, A(0))); return i >= 0 ? i : throw Py.Error("value is not in list", line); }
                    case "count": return (long)l.Count(x => Py.Equal(x, A(0)));
                }
                break;
            case Undefined u:
                throw Py.Error($"'{u.Name}' is undefined", line);
        }
        throw Py.Error($"unsupported method '{name}' on {Py.TypeName(target)}", line);
    }

    static string[] RSplit(string s, string sep, int max)
    {
        var parts = new List<string>();
        int end = s.Length;
        while (parts.Count < max)
        {
            int at = s.LastIndexOf(sep, end - 1 < 0 ? 0 : end - 1, StringComparison.Ordinal);
            if (at < 0 || end == 0) break;
            if (at + sep.Length > end) break;
            parts.Insert(0, s[(at + sep.Length)..end]);
            end = at;
        }
        parts.Insert(0, s[..end]);
        return parts.ToArray();
    }
}
