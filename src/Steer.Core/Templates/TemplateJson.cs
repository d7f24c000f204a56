using System.Globalization;
using System.Text;

namespace Steer.Templates;

/// <summary>
/// transformers' <c>tojson</c>: Python's <c>json.dumps(x, ensure_ascii=False, indent=indent)</c>, byte for byte —
/// ', ' and ': ' separators without indent, ',' plus newline with it, non-ASCII kept, keys in insertion order.
/// </summary>
internal static class TemplateJson
{
    public static string Dumps(object? value, int? indent, int line)
    {
        var sb = new StringBuilder();
        Write(sb, value, indent, 0, line);
        return sb.ToString();
    }

    static void Write(StringBuilder sb, object? v, int? indent, int level, int line)
    {
        switch (v)
        {
            case null: sb.Append("null"); break;
            case bool b: sb.Append(b ? "true" : "false"); break;
            case long l: sb.Append(l.ToString(CultureInfo.InvariantCulture)); break;
            case double d:
                sb.Append(double.IsNaN(d) ? "NaN" : double.IsInfinity(d) ? (d > 0 ? "Infinity" : "-Infinity") : Py.FloatRepr(d));
                break;
            case string s: WriteString(sb, s); break;
            case List<object?> list: WriteSequence(sb, list, indent, level, line); break;
            case object?[] tuple: WriteSequence(sb, tuple, indent, level, line); break;
            case PyDict dict:
                if (dict.Count == 0) { sb.Append("{}"); break; }
                sb.Append('{');
                bool first = true;
                foreach (var (k, x) in dict)
                {
                    if (!first) sb.Append(indent is null ? ", " : ",");
                    first = false;
                    NewLine(sb, indent, level + 1);
                    WriteString(sb, k);
                    sb.Append(": ");
                    Write(sb, x, indent, level + 1, line);
                }
                NewLine(sb, indent, level);
                sb.Append('}');
                break;
            default:
                throw Py.Error($"Object of type {Py.TypeName(v)} is not JSON serializable", line);
        }
    }

    static void WriteSequence(StringBuilder sb, IReadOnlyList<object?> items, int? indent, int level, int line)
    {
        if (items.Count == 0) { sb.Append("[]"); return; }
        sb.Append('[');
        for (int i = 0; i < items.Count; i++)
        {
            if (i > 0) sb.Append(indent is null ? ", " : ",");
            NewLine(sb, indent, level + 1);
            Write(sb, items[i], indent, level + 1, line);
        }
        NewLine(sb, indent, level);
        sb.Append(']');
    }

    static void NewLine(StringBuilder sb, int? indent, int level)
    {
        if (indent is int n)
            sb.Append('\n').Append(' ', n * level);
    }

    /// <summary>Python's ensure_ascii=False string escaping: only quote, backslash and C0 controls.</summary>
    public static void WriteString(StringBuilder sb, string s)
    {
        sb.Append('"');
        foreach (char c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                default:
                    if (c < 0x20) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        sb.Append('"');
    }
}
