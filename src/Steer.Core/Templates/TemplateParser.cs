namespace Steer.Templates;

/// <summary>
/// Recursive-descent parser following Jinja's grammar and precedence (filters and tests bind tighter than
/// arithmetic, <c>not x is y</c> is <c>not (x is y)</c>). Unknown tags, filters and tests fail here, with their line.
/// </summary>
internal sealed class TemplateParser(List<Token> tokens)
{
    int _pos;

    Token Peek => tokens[_pos];
    Token Next() => tokens[_pos++];

    public static IReadOnlyList<Node> Parse(string source)
    {
        var p = new TemplateParser(TemplateLexer.Tokenize(source));
        var body = p.ParseBody([], out var end);
        if (end is not null)
            throw TemplateLexer.Error($"unexpected '{{% {end} %}}'", p.Peek.Line);
        return body;
    }

    bool IsOp(string op) => Peek.Kind == TokenKind.Op && Peek.Value == op;
    bool IsName(string name) => Peek.Kind == TokenKind.Name && Peek.Value == name;

    Token Expect(TokenKind kind, string? value = null)
    {
        var t = Next();
        if (t.Kind != kind || (value is not null && t.Value != value))
            throw TemplateLexer.Error($"expected {value ?? kind.ToString()}, found '{(t.Kind == TokenKind.End ? "end of template" : t.Value)}'", t.Line);
        return t;
    }

    /// <summary>Parses nodes until one of <paramref name="ends"/> opens a tag; returns that tag's name (consumed).</summary>
    List<Node> ParseBody(string[] ends, out string? endTag)
    {
        // Untrusted templates may nest without end; fail cleanly instead of overflowing the stack.
        System.Runtime.CompilerServices.RuntimeHelpers.EnsureSufficientExecutionStack();
        var nodes = new List<Node>();
        while (true)
        {
            var t = Peek;
            switch (t.Kind)
            {
                case TokenKind.End:
                    if (ends.Length > 0)
                        throw TemplateLexer.Error($"missing '{{% {ends[^1]} %}}'", t.Line);
                    endTag = null;
                    return nodes;
                case TokenKind.Text:
                    Next();
                    nodes.Add(new TextNode(t.Value, t.Line));
                    break;
                case TokenKind.ExprOpen:
                    Next();
                    nodes.Add(new OutputNode(ParseExpression(), t.Line));
                    Expect(TokenKind.ExprClose);
                    break;
                case TokenKind.StmtOpen:
                    Next();
                    var name = Expect(TokenKind.Name);
                    if (Array.IndexOf(ends, name.Value) >= 0)
                    {
                        endTag = name.Value;
                        return nodes;
                    }
                    nodes.Add(ParseStatement(name));
                    break;
                default:
                    throw TemplateLexer.Error($"unexpected '{t.Value}'", t.Line);
            }
        }
    }

    Node ParseStatement(Token tag)
    {
        int line = tag.Line;
        switch (tag.Value)
        {
            case "if":
                {
                    var branches = new List<(Expr, IReadOnlyList<Node>)>();
                    IReadOnlyList<Node>? elseBody = null;
                    var cond = ParseExpression();
                    while (true)
                    {
                        Expect(TokenKind.StmtClose);
                        var body = ParseBody(["elif", "else", "endif"], out var end);
                        branches.Add((cond, body));
                        if (end == "elif") { cond = ParseExpression(); continue; }
                        if (end == "else")
                        {
                            Expect(TokenKind.StmtClose);
                            elseBody = ParseBody(["endif"], out _);
                        }
                        Expect(TokenKind.StmtClose);
                        return new IfNode(branches, elseBody, line);
                    }
                }
            case "for":
                {
                    var targets = new List<string> { Expect(TokenKind.Name).Value };
                    while (IsOp(",")) { Next(); targets.Add(Expect(TokenKind.Name).Value); }
                    Expect(TokenKind.Name, "in");
                    var iterable = ParseCondless();
                    Expr? filter = null;
                    if (IsName("if")) { Next(); filter = ParseCondless(); }
                    if (IsName("recursive"))
                        throw TemplateLexer.Error("unsupported construct 'for ... recursive'", line);
                    Expect(TokenKind.StmtClose);
                    var body = ParseBody(["else", "endfor"], out var end);
                    IReadOnlyList<Node>? elseBody = null;
                    if (end == "else")
                    {
                        Expect(TokenKind.StmtClose);
                        elseBody = ParseBody(["endfor"], out _);
                    }
                    Expect(TokenKind.StmtClose);
                    return new ForNode(targets, iterable, filter, body, elseBody, line);
                }
            case "set":
                {
                    var names = new List<string> { Expect(TokenKind.Name).Value };
                    string? attr = null;
                    if (IsOp(".")) { Next(); attr = Expect(TokenKind.Name).Value; }
                    else
                        while (IsOp(",")) { Next(); names.Add(Expect(TokenKind.Name).Value); }
                    if (IsOp("="))
                    {
                        Next();
                        var value = ParseTupleOrExpression();
                        Expect(TokenKind.StmtClose);
                        return new SetNode(names, attr, value, null, line);
                    }
                    Expect(TokenKind.StmtClose);
                    var body = ParseBody(["endset"], out _);
                    Expect(TokenKind.StmtClose);
                    return new SetNode(names, attr, null, body, line);
                }
            case "macro":
                {
                    var name = Expect(TokenKind.Name).Value;
                    var parameters = new List<(string, Expr?)>();
                    Expect(TokenKind.Op, "(");
                    while (!IsOp(")"))
                    {
                        var p = Expect(TokenKind.Name).Value;
                        Expr? def = null;
                        if (IsOp("=")) { Next(); def = ParseExpression(); }
                        parameters.Add((p, def));
                        if (!IsOp(")")) Expect(TokenKind.Op, ",");
                    }
                    Next();
                    Expect(TokenKind.StmtClose);
                    var body = ParseBody(["endmacro"], out _);
                    Expect(TokenKind.StmtClose);
                    return new MacroNode(name, parameters, body, line);
                }
            case "break":
                Expect(TokenKind.StmtClose);
                return new BreakNode(line);
            case "continue":
                Expect(TokenKind.StmtClose);
                return new ContinueNode(line);
            case "generation":
                {
                    // transformers' AssistantTracker: the block renders its body unchanged.
                    Expect(TokenKind.StmtClose);
                    var body = ParseBody(["endgeneration"], out _);
                    Expect(TokenKind.StmtClose);
                    return new IfNode([(new LiteralExpr(true, line), body)], null, line);
                }
            default:
                throw TemplateLexer.Error($"unsupported tag '{tag.Value}'", line);
        }
    }

    Expr ParseTupleOrExpression()
    {
        int line = Peek.Line;
        var first = ParseExpression();
        if (!IsOp(",")) return first;
        var items = new List<Expr> { first };
        while (IsOp(",")) { Next(); items.Add(ParseExpression()); }
        return new ListExpr(items, true, line);
    }

    public Expr ParseExpression()
    {
        System.Runtime.CompilerServices.RuntimeHelpers.EnsureSufficientExecutionStack();
        var e = ParseOr();
        if (IsName("if"))
        {
            int line = Next().Line;
            var test = ParseOr();
            Expr? otherwise = null;
            if (IsName("else")) { Next(); otherwise = ParseExpression(); }
            return new CondExpr(test, e, otherwise, line);
        }
        return e;
    }

    Expr ParseCondless() => ParseOr();

    Expr ParseOr()
    {
        var e = ParseAnd();
        while (IsName("or")) { int l = Next().Line; e = new BinaryExpr("or", e, ParseAnd(), l); }
        return e;
    }

    Expr ParseAnd()
    {
        var e = ParseNot();
        while (IsName("and")) { int l = Next().Line; e = new BinaryExpr("and", e, ParseNot(), l); }
        return e;
    }

    Expr ParseNot()
    {
        System.Runtime.CompilerServices.RuntimeHelpers.EnsureSufficientExecutionStack();
        if (IsName("not")) { int l = Next().Line; return new UnaryExpr("not", ParseNot(), l); }
        return ParseCompare();
    }

    Expr ParseCompare()
    {
        int line = Peek.Line;
        var first = ParseMath1();
        var rest = new List<(string, Expr)>();
        while (true)
        {
            if (Peek.Kind == TokenKind.Op && Peek.Value is "==" or "!=" or "<" or ">" or "<=" or ">=")
            {
                var op = Next().Value;
                rest.Add((op, ParseMath1()));
            }
            else if (IsName("in")) { Next(); rest.Add(("in", ParseMath1())); }
            else if (IsName("not") && tokens[_pos + 1].Kind == TokenKind.Name && tokens[_pos + 1].Value == "in")
            {
                _pos += 2;
                rest.Add(("notin", ParseMath1()));
            }
            else break;
        }
        return rest.Count == 0 ? first : new CompareExpr(first, rest, line);
    }

    Expr ParseMath1()
    {
        var e = ParseConcat();
        while (IsOp("+") || IsOp("-")) { var t = Next(); e = new BinaryExpr(t.Value, e, ParseConcat(), t.Line); }
        return e;
    }

    Expr ParseConcat()
    {
        var e = ParseMath2();
        while (IsOp("~")) { var t = Next(); e = new BinaryExpr("~", e, ParseMath2(), t.Line); }
        return e;
    }

    Expr ParseMath2()
    {
        var e = ParsePow();
        while (IsOp("*") || IsOp("/") || IsOp("//") || IsOp("%")) { var t = Next(); e = new BinaryExpr(t.Value, e, ParsePow(), t.Line); }
        return e;
    }

    Expr ParsePow()
    {
        var e = ParseUnary(true);
        while (IsOp("**")) { var t = Next(); e = new BinaryExpr("**", e, ParseUnary(true), t.Line); }
        return e;
    }

    Expr ParseUnary(bool withFilter)
    {
        System.Runtime.CompilerServices.RuntimeHelpers.EnsureSufficientExecutionStack();
        Expr e;
        if (IsOp("-") || IsOp("+")) { var t = Next(); e = new UnaryExpr(t.Value, ParseUnary(false), t.Line); }
        else e = ParsePostfix(ParsePrimary());
        return withFilter ? ParseFilterTail(e) : e;
    }

    Expr ParsePrimary()
    {
        var t = Next();
        switch (t.Kind)
        {
            case TokenKind.Name:
                return t.Value switch
                {
                    "true" or "True" => new LiteralExpr(true, t.Line),
                    "false" or "False" => new LiteralExpr(false, t.Line),
                    "none" or "None" => new LiteralExpr(null, t.Line),
                    _ => new NameExpr(t.Value, t.Line),
                };
            case TokenKind.String:
                {
                    var s = t.Value;
                    while (Peek.Kind == TokenKind.String) s += Next().Value; // adjacent literals concatenate
                    return new LiteralExpr(s, t.Line);
                }
            case TokenKind.Integer:
                // Python's integers have no bound; a literal beyond 64 bits is refused rather than wrapped or rounded.
                return long.TryParse(t.Value, System.Globalization.CultureInfo.InvariantCulture, out var integer)
                    ? new LiteralExpr(integer, t.Line)
                    : throw TemplateLexer.Error($"the integer {t.Value} is too large (at most {long.MaxValue})", t.Line);
            case TokenKind.Float:
                return new LiteralExpr(double.Parse(t.Value, System.Globalization.CultureInfo.InvariantCulture), t.Line);
            case TokenKind.Op when t.Value == "(":
                {
                    if (IsOp(")")) { Next(); return new ListExpr([], true, t.Line); }
                    var e = ParseExpression();
                    if (IsOp(","))
                    {
                        var items = new List<Expr> { e };
                        while (IsOp(",")) { Next(); if (IsOp(")")) break; items.Add(ParseExpression()); }
                        e = new ListExpr(items, true, t.Line);
                    }
                    Expect(TokenKind.Op, ")");
                    return e;
                }
            case TokenKind.Op when t.Value == "[":
                {
                    var items = new List<Expr>();
                    while (!IsOp("]")) { items.Add(ParseExpression()); if (!IsOp("]")) Expect(TokenKind.Op, ","); }
                    Next();
                    return new ListExpr(items, false, t.Line);
                }
            case TokenKind.Op when t.Value == "{":
                {
                    var items = new List<(Expr, Expr)>();
                    while (!IsOp("}"))
                    {
                        var k = ParseExpression();
                        Expect(TokenKind.Op, ":");
                        items.Add((k, ParseExpression()));
                        if (!IsOp("}")) Expect(TokenKind.Op, ",");
                    }
                    Next();
                    return new DictExpr(items, t.Line);
                }
            default:
                throw TemplateLexer.Error($"unexpected '{(t.Kind == TokenKind.End ? "end of template" : t.Kind is TokenKind.ExprClose or TokenKind.StmtClose ? "end of tag" : t.Value)}'", t.Line);
        }
    }

    Expr ParsePostfix(Expr e)
    {
        while (true)
        {
            if (IsOp("."))
            {
                var t = Next();
                var name = Next();
                if (name.Kind == TokenKind.Name) e = new AttrExpr(e, name.Value, t.Line);
                else if (name.Kind == TokenKind.Integer) e = new ItemExpr(e, new LiteralExpr(long.Parse(name.Value, System.Globalization.CultureInfo.InvariantCulture), t.Line), t.Line);
                else throw TemplateLexer.Error("expected a name after '.'", t.Line);
            }
            else if (IsOp("["))
            {
                var t = Next();
                Expr? start = null, stop = null, step = null;
                bool slice = false;
                if (!IsOp(":")) start = ParseExpression();
                if (IsOp(":"))
                {
                    slice = true;
                    Next();
                    if (!IsOp("]") && !IsOp(":")) stop = ParseExpression();
                    if (IsOp(":")) { Next(); if (!IsOp("]")) step = ParseExpression(); }
                }
                Expect(TokenKind.Op, "]");
                e = slice ? new SliceExpr(e, start, stop, step, t.Line) : new ItemExpr(e, start!, t.Line);
            }
            else if (IsOp("("))
            {
                var t = Next();
                var (args, kwargs) = ParseCallArgs();
                e = new CallExpr(e, args, kwargs, t.Line);
            }
            else return e;
        }
    }

    (List<Expr>, List<(string, Expr)>) ParseCallArgs()
    {
        var args = new List<Expr>();
        var kwargs = new List<(string, Expr)>();
        while (!IsOp(")"))
        {
            if (Peek.Kind == TokenKind.Name && tokens[_pos + 1].Kind == TokenKind.Op && tokens[_pos + 1].Value == "=")
            {
                var name = Next().Value;
                Next();
                kwargs.Add((name, ParseExpression()));
            }
            else args.Add(ParseExpression());
            if (!IsOp(")")) Expect(TokenKind.Op, ",");
        }
        Next();
        return (args, kwargs);
    }

    Expr ParseFilterTail(Expr e)
    {
        while (true)
        {
            if (IsOp("|"))
            {
                Next();
                var name = Expect(TokenKind.Name);
                if (!TemplateFilters.IsFilter(name.Value))
                    throw TemplateLexer.Error($"unsupported filter '{name.Value}'", name.Line);
                List<Expr> args = [];
                List<(string, Expr)> kwargs = [];
                if (IsOp("(")) { Next(); (args, kwargs) = ParseCallArgs(); }
                e = new FilterExpr(e, name.Value, args, kwargs, name.Line);
            }
            else if (IsName("is"))
            {
                Next();
                bool negated = false;
                if (IsName("not")) { Next(); negated = true; }
                var name = Expect(TokenKind.Name);
                if (!TemplateFilters.IsTest(name.Value))
                    throw TemplateLexer.Error($"unsupported test '{name.Value}'", name.Line);
                var args = new List<Expr>();
                if (IsOp("(")) { Next(); args = ParseCallArgs().Item1; }
                else if (Peek.Kind is TokenKind.String or TokenKind.Integer or TokenKind.Float
                    || (Peek.Kind == TokenKind.Name && Peek.Value is not ("else" or "or" or "and" or "if" or "in" or "not" or "is")))
                    args.Add(ParsePostfix(ParsePrimary()));
                e = new TestExpr(e, name.Value, args, negated, name.Line);
            }
            else if (IsOp("("))
            {
                var t = Next();
                var (args, kwargs) = ParseCallArgs();
                e = new CallExpr(e, args, kwargs, t.Line);
            }
            else return e;
        }
    }
}
