using System.Text;
using Steer.Errors;

namespace Steer.Templates;

internal enum TokenKind { Text, ExprOpen, ExprClose, StmtOpen, StmtClose, Name, String, Integer, Float, Op, End }

internal readonly record struct Token(TokenKind Kind, string Value, int Line);

/// <summary>
/// Splits template source into text and tag tokens, applying Jinja's whitespace rules as transformers configures
/// them (trim_blocks, lstrip_blocks, keep_trailing_newline=False) so the parser never sees whitespace control.
/// </summary>
internal static class TemplateLexer
{
    static readonly string[] Operators = ["//", "**", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "(", ")", "[", "]", "{", "}", ",", ".", ":", "|", "=", "<", ">"];

    public static List<Token> Tokenize(string source)
    {
        // Jinja normalises newlines and drops one trailing newline before lexing.
        source = source.Replace("\r\n", "\n").Replace('\r', '\n');
        if (source.EndsWith('\n'))
            source = source[..^1];
        var tokens = new List<Token>();
        int pos = 0, line = 1;
        bool stripNext = false, trimNewline = false;
        while (pos <= source.Length)
        {
            int open = FindOpener(source, pos);
            int rawEnd = open < 0 ? source.Length : open;
            string raw = source[pos..rawEnd];
            int start = 0, end = raw.Length;
            if (stripNext)
                while (start < end && char.IsWhiteSpace(raw[start])) start++;
            else if (trimNewline && raw.StartsWith('\n'))
                start = 1;
            if (open >= 0)
            {
                char kind = source[open + 1];
                char modifier = open + 2 < source.Length ? source[open + 2] : '\0';
                if (modifier == '-')
                    while (end > start && char.IsWhiteSpace(raw[end - 1])) end--;
                else if (kind != '{' && modifier != '+')
                {
                    // lstrip_blocks: only spaces/tabs between the line start and the block tag are removed.
                    int nl = raw.LastIndexOf('\n');
                    bool atLineStart = nl >= 0 || pos == 0 || source[pos - 1] == '\n';
                    int from = nl + 1;
                    bool blank = true;
                    for (int k = from; k < raw.Length; k++)
                        if (raw[k] != ' ' && raw[k] != '\t') { blank = false; break; }
                    if (atLineStart && blank)
                        end = Math.Max(start, Math.Min(end, from));
                }
            }
            if (end > start)
                tokens.Add(new Token(TokenKind.Text, raw[start..end], line));
            line += Count(raw);
            if (open < 0)
                break;
            char k2 = source[open + 1];
            pos = open + 2;
            if (pos < source.Length && (source[pos] == '-' || source[pos] == '+'))
                pos++;
            if (k2 == '#')
            {
                int close = source.IndexOf("#}", pos, StringComparison.Ordinal);
                if (close < 0)
                    throw Error("unterminated comment", line);
                stripNext = source[close - 1] == '-';
                trimNewline = !stripNext;
                line += Count(source[pos..close]);
                pos = close + 2;
                continue;
            }
            bool isStmt = k2 == '%';
            tokens.Add(new Token(isStmt ? TokenKind.StmtOpen : TokenKind.ExprOpen, "", line));
            (pos, line, stripNext) = LexTag(source, pos, line, isStmt, tokens);
            trimNewline = isStmt && !stripNext;
        }
        tokens.Add(new Token(TokenKind.End, "", line));
        return tokens;
    }

    static int Count(string s)
    {
        int n = 0;
        foreach (char c in s) if (c == '\n') n++;
        return n;
    }

    static int FindOpener(string s, int from)
    {
        for (int i = from; i < s.Length - 1; i++)
            if (s[i] == '{' && (s[i + 1] == '{' || s[i + 1] == '%' || s[i + 1] == '#'))
                return i;
        return -1;
    }

    internal static SteerException Error(string message, int line) => new(ErrorKind.InvalidArgument, $"chat template: {message} (line {line})");

    static (int Pos, int Line, bool Strip) LexTag(string s, int pos, int line, bool isStmt, List<Token> tokens)
    {
        string closer = isStmt ? "%}" : "}}";
        int depth = 0;
        while (true)
        {
            while (pos < s.Length && char.IsWhiteSpace(s[pos]))
            {
                if (s[pos] == '\n') line++;
                pos++;
            }
            if (pos >= s.Length)
                throw Error($"unterminated tag, expected '{closer}'", line);
            if (depth == 0 && string.CompareOrdinal(s, pos, closer, 0, 2) == 0)
            {
                tokens.Add(new Token(isStmt ? TokenKind.StmtClose : TokenKind.ExprClose, "", line));
                return (pos + 2, line, false);
            }
            if (depth == 0 && s[pos] == '-' && string.CompareOrdinal(s, pos + 1, closer, 0, 2) == 0)
            {
                tokens.Add(new Token(isStmt ? TokenKind.StmtClose : TokenKind.ExprClose, "", line));
                return (pos + 3, line, true);
            }
            char c = s[pos];
            if (char.IsLetter(c) || c == '_')
            {
                int st = pos;
                while (pos < s.Length && (char.IsLetterOrDigit(s[pos]) || s[pos] == '_')) pos++;
                tokens.Add(new Token(TokenKind.Name, s[st..pos], line));
            }
            else if (char.IsAsciiDigit(c))
            {
                int st = pos;
                bool isFloat = false;
                while (pos < s.Length && (char.IsAsciiDigit(s[pos]) || s[pos] == '_')) pos++;
                if (pos + 1 < s.Length && s[pos] == '.' && char.IsAsciiDigit(s[pos + 1]))
                {
                    isFloat = true;
                    pos++;
                    while (pos < s.Length && char.IsAsciiDigit(s[pos])) pos++;
                }
                // As in Python, an 'e' is an exponent only when digits follow: "3e" is the number 3, then the name e.
                int exponent = pos + 1 < s.Length && (s[pos + 1] == '+' || s[pos + 1] == '-') ? pos + 2 : pos + 1;
                if (pos < s.Length && (s[pos] == 'e' || s[pos] == 'E') && exponent < s.Length && char.IsAsciiDigit(s[exponent]))
                {
                    isFloat = true;
                    pos = exponent;
                    while (pos < s.Length && char.IsAsciiDigit(s[pos])) pos++;
                }
                tokens.Add(new Token(isFloat ? TokenKind.Float : TokenKind.Integer, s[st..pos].Replace("_", ""), line));
            }
            else if (c == '\'' || c == '"')
            {
                int startLine = line;
                (string value, pos, line) = LexString(s, pos, line);
                tokens.Add(new Token(TokenKind.String, value, startLine));
            }
            else
            {
                string? op = null;
                foreach (var o in Operators)
                    if (string.CompareOrdinal(s, pos, o, 0, o.Length) == 0) { op = o; break; }
                if (op is null)
                    throw Error($"unexpected character '{c}'", line);
                if (op is "(" or "[" or "{") depth++;
                if (op is ")" or "]" or "}") depth = Math.Max(0, depth - 1);
                tokens.Add(new Token(TokenKind.Op, op, line));
                pos += op.Length;
            }
        }
    }

    /// <summary>Reads a quoted literal with Python's escapes, as Jinja decodes them ('unicode-escape').</summary>
    static (string, int, int) LexString(string s, int pos, int line)
    {
        char quote = s[pos++];
        var sb = new StringBuilder();
        while (true)
        {
            if (pos >= s.Length)
                throw Error("unterminated string literal", line);
            char c = s[pos++];
            if (c == quote)
                return (sb.ToString(), pos, line);
            if (c == '\n') line++;
            if (c != '\\' || pos >= s.Length)
            {
                sb.Append(c);
                continue;
            }
            char e = s[pos++];
            switch (e)
            {
                case 'n': sb.Append('\n'); break;
                case 't': sb.Append('\t'); break;
                case 'r': sb.Append('\r'); break;
                case '\\': sb.Append('\\'); break;
                case '\'': sb.Append('\''); break;
                case '"': sb.Append('"'); break;
                case 'a': sb.Append('\a'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'v': sb.Append('\v'); break;
                case '0': sb.Append('\0'); break;
                case '\n': line++; break;
                case 'x' or 'u' or 'U':
                    int n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
                    if (pos + n > s.Length || !int.TryParse(s.AsSpan(pos, n), System.Globalization.NumberStyles.HexNumber, null, out int cp))
                        throw Error($"bad \\{e} escape in string literal", line);
                    sb.Append(char.ConvertFromUtf32(cp));
                    pos += n;
                    break;
                default: sb.Append('\\').Append(e); break;
            }
        }
    }
}
