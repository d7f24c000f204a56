using System.Text;
using Steer.Errors;

namespace Steer.Templates;

/// <summary>Variables of one frame; lookups fall through to the enclosing frame, assignments stay local.</summary>
internal sealed class Scope(Scope? parent)
{
    readonly Dictionary<string, object?> _vars = [];
    public Scope? Parent => parent;

    public object? Lookup(string name)
    {
        for (var s = this; s is not null; s = s.Parent)
            if (s._vars.TryGetValue(name, out var v)) return v;
        return new Undefined(name);
    }

    public void Set(string name, object? value) => _vars[name] = value;
}

/// <summary>
/// Executes a parsed template for one render: Python semantics for values, Jinja scoping (a for body is its own
/// frame, if is not), and the sandbox limits counted over the whole render.
/// </summary>
internal sealed class TemplateEvaluator(TemplateLimits limits, DateTime now)
{
    enum Flow { Normal, Break, Continue }

    StringBuilder _out = new();
    long _iterations;
    int _depth;

    public string Render(IReadOnlyList<Node> template, Scope globals)
    {
        Exec(template, new Scope(globals));
        return _out.ToString();
    }

    public Scope CreateGlobals()
    {
        var g = new Scope(null);
        g.Set("raise_exception", new TemplateFunction("raise_exception", (a, _) => throw new TemplateRaisedException(Py.Str(a.ElementAtOrDefault(0)))));
        g.Set("strftime_now", new TemplateFunction("strftime_now", (a, _) => Strftime.Format(now, Py.Str(a.ElementAtOrDefault(0)))));
        g.Set("namespace", new TemplateFunction("namespace", (a, kw) =>
        {
            var ns = new Namespace();
            foreach (var x in a)
                if (x is PyDict d) foreach (var (k, v) in d) ns.Attributes[k] = v;
            foreach (var (k, v) in kw) ns.Attributes[k] = v;
            return ns;
        }));
        g.Set("dict", new TemplateFunction("dict", (_, kw) => { var d = new PyDict(); foreach (var (k, v) in kw) d[k] = v; return d; }));
        g.Set("range", new TemplateFunction("range", (a, _) => Range(a)));
        return g;
    }

    List<object?> Range(List<object?> a)
    {
        long start = a.Count > 1 ? Py.ToLong(a[0]) : 0, stop = a.Count > 1 ? Py.ToLong(a[1]) : Py.ToLong(a.ElementAtOrDefault(0)), step = a.Count > 2 ? Py.ToLong(a[2]) : 1;
        if (step == 0) throw new SteerException(ErrorKind.InvalidArgument, "chat template: range() step must not be zero");
        long count = step > 0 ? Math.Max(0, (stop - start + step - 1) / step) : Math.Max(0, (start - stop - step - 1) / -step);
        if (count > limits.MaxLoopIterations) throw LimitError("loop iterations", limits.MaxLoopIterations);
        var r = new List<object?>((int)count);
        for (long i = 0; i < count; i++) r.Add(start + i * step);
        return r;
    }

    static SteerException LimitError(string what, long limit) => Py.LimitError(what, limit);

    void Write(string s)
    {
        if (_out.Length + s.Length > limits.MaxOutputChars) throw LimitError("output characters", limits.MaxOutputChars);
        _out.Append(s);
    }

    Flow Exec(IReadOnlyList<Node> nodes, Scope scope)
    {
        foreach (var node in nodes)
        {
            var flow = Exec(node, scope);
            if (flow != Flow.Normal) return flow;
        }
        return Flow.Normal;
    }

    Flow Exec(Node node, Scope scope)
    {
        System.Runtime.CompilerServices.RuntimeHelpers.EnsureSufficientExecutionStack();
        switch (node)
        {
            case TextNode t: Write(t.Text); return Flow.Normal;
            case OutputNode o:
                {
                    var v = Eval(o.Value, scope);
                    if (v is not string) Py.EnsureSize(v, limits.MaxOutputChars);
                    Write(Py.Str(v));
                    return Flow.Normal;
                }
            case IfNode i:
                foreach (var (cond, body) in i.Branches)
                    if (Py.Truthy(Eval(cond, scope))) return Exec(body, scope);
                return i.Else is null ? Flow.Normal : Exec(i.Else, scope);
            case ForNode f: ExecFor(f, scope); return Flow.Normal;
            case SetNode s: ExecSet(s, scope); return Flow.Normal;
            case MacroNode m: scope.Set(m.Name, MakeMacro(m, scope)); return Flow.Normal;
            case BreakNode: return Flow.Break;
            case ContinueNode: return Flow.Continue;
            default: throw Py.Error($"unsupported node {node.GetType().Name}", node.Line);
        }
    }

    void ExecFor(ForNode f, Scope scope)
    {
        var items = Py.Iterate(Eval(f.Iterable, scope), f.Line);
        if (f.Filter is not null)
        {
            var kept = new List<object?>();
            foreach (var item in items)
            {
                Tick();
                var s = new Scope(scope);
                Bind(s, f.Targets, item, f.Line);
                if (Py.Truthy(Eval(f.Filter, s))) kept.Add(item);
            }
            items = kept;
        }
        else items = items.ToList(); // a snapshot: the body may rebind the iterated name
        if (items.Count == 0)
        {
            if (f.Else is not null) Exec(f.Else, new Scope(scope));
            return;
        }
        var loop = new LoopInfo(items);
        for (int i = 0; i < items.Count; i++)
        {
            Tick();
            loop.Index0 = i;
            var s = new Scope(scope);
            Bind(s, f.Targets, items[i], f.Line);
            s.Set("loop", loop);
            if (Exec(f.Body, s) == Flow.Break) break;
        }
    }

    void Tick()
    {
        if (++_iterations > limits.MaxLoopIterations) throw LimitError("loop iterations", limits.MaxLoopIterations);
    }

    static void Bind(Scope s, IReadOnlyList<string> targets, object? value, int line)
    {
        if (targets.Count == 1) { s.Set(targets[0], value); return; }
        var parts = value switch
        {
            object?[] t => t,
            List<object?> l => l,
            string str => Py.Iterate(str, line),
            _ => throw Py.Error($"cannot unpack '{Py.TypeName(value)}'", line),
        };
        if (parts.Count != targets.Count) throw Py.Error($"expected {targets.Count} values to unpack, got {parts.Count}", line);
        for (int i = 0; i < targets.Count; i++) s.Set(targets[i], parts[i]);
    }

    void ExecSet(SetNode node, Scope scope)
    {
        object? value = node.Value is not null ? Eval(node.Value, scope) : Capture(() => Exec(node.Body!, scope));
        if (node.Attribute is not null)
        {
            if (scope.Lookup(node.Names[0]) is not Namespace ns)
                throw Py.Error($"cannot assign attribute on non-namespace object '{node.Names[0]}'", node.Line);
            ns.Attributes[node.Attribute] = value;
            return;
        }
        Bind(scope, node.Names, value, node.Line);
    }

    string Capture(Action body)
    {
        var saved = _out;
        _out = new StringBuilder();
        try
        {
            body();
            var text = _out.ToString();
            if (saved.Length + text.Length > limits.MaxOutputChars) throw LimitError("output characters", limits.MaxOutputChars);
            return text;
        }
        finally { _out = saved; }
    }

    TemplateFunction MakeMacro(MacroNode m, Scope defining) => new(m.Name, (args, kwargs) =>
    {
        if (++_depth > limits.MaxRecursionDepth) throw LimitError("nested macro calls", limits.MaxRecursionDepth);
        try
        {
            var s = new Scope(defining);
            for (int i = 0; i < m.Parameters.Count; i++)
            {
                var (name, def) = m.Parameters[i];
                object? v = i < args.Count ? args[i] : kwargs.TryGetValue(name, out var kv) ? kv : def is not null ? Eval(def, s) : new Undefined(name);
                s.Set(name, v);
            }
            if (args.Count > m.Parameters.Count) throw Py.Error($"macro '{m.Name}' takes {m.Parameters.Count} arguments", m.Line);
            return Capture(() => Exec(m.Body, s));
        }
        finally { _depth--; }
    });

    object? Eval(Expr e, Scope scope)
    {
        System.Runtime.CompilerServices.RuntimeHelpers.EnsureSufficientExecutionStack();
        switch (e)
        {
            case LiteralExpr l: return l.Value;
            case NameExpr n: return scope.Lookup(n.Name);
            case AttrExpr a: return TemplateMethods.GetAttr(Eval(a.Target, scope), a.Name, a.Line);
            case ItemExpr i:
                {
                    var target = Eval(i.Target, scope);
                    var key = Eval(i.Key, scope);
                    return TemplateMethods.Subscript(target, key, i.Line);
                }
            case SliceExpr s:
                return TemplateMethods.Slice(Eval(s.Target, scope), s.Start is null ? null : Eval(s.Start, scope),
                    s.Stop is null ? null : Eval(s.Stop, scope), s.Step is null ? null : Eval(s.Step, scope), s.Line);
            case CallExpr c: return EvalCall(c, scope);
            case FilterExpr f:
                {
                    var (args, kwargs) = EvalArgs(f.Args, f.Kwargs, scope);
                    var target = Eval(f.Target, scope);
                    if (f.Name is "tojson" or "join" or "string" && target is not string)
                        Py.EnsureSize(target, limits.MaxOutputChars);
                    return TemplateFilters.ApplyFilter(f.Name, target, args, kwargs, f.Line);
                }
            case TestExpr t:
                {
                    var args = t.Args.Select(x => Eval(x, scope)).ToList();
                    return TemplateFilters.ApplyTest(t.Name, Eval(t.Target, scope), args, t.Line) != t.Negated;
                }
            case UnaryExpr u:
                {
                    var v = Eval(u.Operand, scope);
                    return u.Op switch
                    {
                        "not" => !Py.Truthy(v),
                        "-" => v is double d ? -d : Py.IsNumber(v) ? (object)(-Py.ToLong(v)) : throw Py.Error($"bad operand type for unary -: '{Py.TypeName(v)}'", u.Line),
                        _ => Py.IsNumber(v) ? v : throw Py.Error($"bad operand type for unary +: '{Py.TypeName(v)}'", u.Line),
                    };
                }
            case BinaryExpr b:
                {
                    var left = Eval(b.Left, scope);
                    if (b.Op == "and") return Py.Truthy(left) ? Eval(b.Right, scope) : left;
                    if (b.Op == "or") return Py.Truthy(left) ? left : Eval(b.Right, scope);
                    var result = Arith(b.Op, left, Eval(b.Right, scope), b.Line);
                    if ((result is string rs && rs.Length > limits.MaxOutputChars) || (result is List<object?> rl && rl.Count > limits.MaxOutputChars))
                        throw LimitError("characters in a value", limits.MaxOutputChars);
                    return result;
                }
            case CompareExpr c:
                {
                    var left = Eval(c.First, scope);
                    foreach (var (op, operand) in c.Rest)
                    {
                        var right = Eval(operand, scope);
                        bool ok = op switch
                        {
                            "==" => Py.Equal(left, right),
                            "!=" => !Py.Equal(left, right),
                            "in" => Contains(right, left, c.Line),
                            "notin" => !Contains(right, left, c.Line),
                            "<" => Compare(left, right, c.Line) < 0,
                            ">" => Compare(left, right, c.Line) > 0,
                            "<=" => Compare(left, right, c.Line) <= 0,
                            _ => Compare(left, right, c.Line) >= 0,
                        };
                        if (!ok) return false;
                        left = right;
                    }
                    return true;
                }
            case CondExpr c:
                return Py.Truthy(Eval(c.Test, scope)) ? Eval(c.Then, scope) : c.Else is null ? new Undefined("else") : Eval(c.Else, scope);
            case ListExpr l:
                {
                    var items = l.Items.Select(x => Eval(x, scope)).ToList();
                    return l.IsTuple ? items.ToArray() : items;
                }
            case DictExpr d:
                {
                    var r = new PyDict();
                    foreach (var (k, v) in d.Items) r[Py.Str(Eval(k, scope))] = Eval(v, scope);
                    return r;
                }
            default: throw Py.Error($"unsupported expression {e.GetType().Name}", e.Line);
        }
    }

    (List<object?>, PyDict) EvalArgs(IReadOnlyList<Expr> args, IReadOnlyList<(string Name, Expr Value)> kwargs, Scope scope)
    {
        var kw = new PyDict();
        foreach (var (k, v) in kwargs) kw[k] = Eval(v, scope);
        return (args.Select(x => Eval(x, scope)).ToList(), kw);
    }

    object? EvalCall(CallExpr c, Scope scope)
    {
        var (args, kwargs) = EvalArgs(c.Args, c.Kwargs, scope);
        if (c.Callee is AttrExpr a)
        {
            var target = Eval(a.Target, scope);
            if (target is string or PyDict or List<object?> or Undefined)
                return TemplateMethods.Call(target, a.Name, args, c.Line);
            var member = TemplateMethods.GetAttr(target, a.Name, a.Line);
            if (member is TemplateFunction mf) return mf.Invoke(args, kwargs);
            throw Py.Error($"unsupported method '{a.Name}' on {Py.TypeName(target)}", c.Line);
        }
        var callee = Eval(c.Callee, scope);
        return callee switch
        {
            TemplateFunction f => f.Invoke(args, kwargs),
            Undefined u => throw Py.Error($"'{u.Name}' is undefined", c.Line),
            _ => throw Py.Error($"'{Py.TypeName(callee)}' object is not callable", c.Line),
        };
    }

    /// <summary>Python's printf-style <c>'%s' % x</c> for the conversions templates use (%s, %r, %d, %i, %%).</summary>
    static string PercentFormat(string fmt, object?[] args, int line)
    {
        var sb = new StringBuilder();
        int next = 0;
        for (int i = 0; i < fmt.Length; i++)
        {
            if (fmt[i] != '%') { sb.Append(fmt[i]); continue; }
            char c = i + 1 < fmt.Length ? fmt[++i] : '\0';
            if (c == '%') { sb.Append('%'); continue; }
            if (next >= args.Length) throw Py.Error("not enough arguments for format string", line);
            var arg = args[next++];
            sb.Append(c switch
            {
                's' => Py.Str(arg),
                'r' => Py.Repr(arg),
                'd' or 'i' when Py.IsNumber(arg) => Py.ToLong(arg).ToString(System.Globalization.CultureInfo.InvariantCulture),
                _ => throw Py.Error($"unsupported format character '{c}'", line),
            });
        }
        if (next < args.Length) throw Py.Error("not all arguments converted during string formatting", line);
        return sb.ToString();
    }

    static long Checked(Func<long> f, int line)
    {
        try { return f(); }
        catch (OverflowException) { throw Py.Error("integer overflow (64-bit integers only)", line); }
    }

    public static bool Contains(object? container, object? item, int line) => container switch
    {
        Undefined => false,
        string s => item is string sub ? s.Contains(sub, StringComparison.Ordinal) : throw Py.Error($"'in <string>' requires string as left operand, not {Py.TypeName(item)}", line),
        PyDict d => item is string k && d.ContainsKey(k),
        List<object?> or object?[] => Py.Iterate(container, line).Any(x => Py.Equal(x, item)),
        _ => throw Py.Error($"argument of type '{Py.TypeName(container)}' is not iterable", line),
    };

    public static int Compare(object? a, object? b, int line)
    {
        if (Py.IsNumber(a) && Py.IsNumber(b)) return Py.ToDouble(a).CompareTo(Py.ToDouble(b));
        if (a is string sa && b is string sb) return string.CompareOrdinal(sa, sb);
        throw Py.Error($"'<' not supported between instances of '{Py.TypeName(a)}' and '{Py.TypeName(b)}'", line);
    }

    public static object? Arith(string op, object? a, object? b, int line)
    {
        if (op == "~") return Py.Str(a) + Py.Str(b);
        if (a is Undefined ua) throw Py.Error($"'{ua.Name}' is undefined", line);
        if (b is Undefined ub) throw Py.Error($"'{ub.Name}' is undefined", line);
        bool ints = a is long or bool && b is long or bool;
        if (Py.IsNumber(a) && Py.IsNumber(b))
        {
            long x = Py.ToLong(a), y = Py.ToLong(b);
            double dx = Py.ToDouble(a), dy = Py.ToDouble(b);
            switch (op)
            {
                // Python ints are unbounded; ours are 64-bit, so overflow is an error rather than a wrong number.
                case "+": return ints ? (object)Checked(() => checked(x + y), line) : dx + dy;
                case "-": return ints ? (object)Checked(() => checked(x - y), line) : dx - dy;
                case "*": return ints ? (object)Checked(() => checked(x * y), line) : dx * dy;
                case "/": if (dy == 0) throw Py.Error("division by zero", line); return dx / dy;
                case "//":
                    if (dy == 0) throw Py.Error("division by zero", line);
                    return ints ? (object)((long)Math.Floor((double)x / y)) : Math.Floor(dx / dy);
                case "%":
                    if (dy == 0) throw Py.Error("modulo by zero", line);
                    // long.MinValue % -1 overflows in .NET; anything modulo ±1 is 0.
                    if (ints) { long m = y == -1 ? 0 : x % y; return (object)(m != 0 && (m < 0) != (y < 0) ? m + y : m); }
                    { double m = dx % dy; return m != 0 && (m < 0) != (dy < 0) ? m + dy : m; }
                case "**": return ints && y >= 0 ? (object)((long)Math.Pow(x, y)) : Math.Pow(dx, dy);
            }
        }
        if (op == "+" && a is string s1 && b is string s2) return s1 + s2;
        if (op == "%" && a is string fmt) return PercentFormat(fmt, b is object?[] tuple ? tuple : [b], line);
        if (op == "+" && a is List<object?> l1 && b is List<object?> l2) return l1.Concat(l2).ToList();
        if (op == "*" && (a is string || b is string) && (a is long || b is long))
        {
            string s = a as string ?? (string)b!;
            long n = a is long na ? na : (long)b!;
            // Divided, not multiplied: n * s.Length can overflow and pass the check.
            if (s.Length > 0 && n > Py.MaxIntermediateChars / s.Length) throw LimitError("characters in a value", Py.MaxIntermediateChars);
            return n <= 0 ? "" : string.Concat(Enumerable.Repeat(s, (int)n));
        }
        if (op == "+" && (a is string || b is string))
            throw Py.Error($"can only concatenate str (not \"{Py.TypeName(a is string ? b : a)}\") to str", line);
        throw Py.Error($"unsupported operand type(s) for {op}: '{Py.TypeName(a)}' and '{Py.TypeName(b)}'", line);
    }
}
