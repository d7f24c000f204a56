using System.Net;
using System.Text;

namespace Steer.Evaluation.Reports;

/// <summary>
/// A self-contained HTML page: inline CSS, images embedded as data: URIs, no scripts, and nothing fetched from
/// elsewhere, so it opens offline and can be mailed as one file. Links may point to files beside it.
/// </summary>
public sealed class HtmlReport(string title)
{
    private const string Style = """
        body { font-family: system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; margin: 2rem auto; max-width: 76rem; padding: 0 1rem; color: #222; }
        h1 { font-size: 1.6rem; } h2 { font-size: 1.25rem; margin-top: 2rem; border-bottom: 1px solid #ddd; } h3 { font-size: 1.05rem; }
        table { border-collapse: collapse; margin: 0.5rem 0 1rem; font-size: 0.9rem; }
        th, td { border: 1px solid #ccc; padding: 0.25rem 0.5rem; text-align: right; font-variant-numeric: tabular-nums; }
        th { background: #f3f3f3; } td.text, th.text { text-align: left; }
        .figures { display: grid; grid-template-columns: repeat(auto-fill, minmax(30rem, 1fr)); gap: 1rem; }
        figure { margin: 0; } figure img { width: 100%; border: 1px solid #eee; } figcaption { font-size: 0.85rem; color: #555; }
        .tokens { line-height: 2; font-family: ui-monospace, "DejaVu Sans Mono", monospace; white-space: pre-wrap; }
        .tokens span { padding: 0.1rem 0; border-radius: 2px; } .masked { color: #999; text-decoration: underline dotted; }
        .note { color: #555; font-size: 0.9rem; }
        """;

    private readonly StringBuilder _body = new();

    public string Title { get; } = title;

    public HtmlReport Heading(string text, int level = 2) => Raw($"<h{level}>{Escape(text)}</h{level}>");

    public HtmlReport Paragraph(string text, string? cssClass = null) =>
        Raw(cssClass is null ? $"<p>{Escape(text)}</p>" : $"<p class=\"{cssClass}\">{Escape(text)}</p>");

    /// <summary>A two-column table of settings.</summary>
    public HtmlReport KeyValues(IEnumerable<(string Key, string Value)> items) =>
        Table(["setting", "value"], items.Select(i => new[] { i.Key, i.Value }), textColumns: 2);

    /// <param name="textColumns">How many leading columns hold text (left-aligned); the rest are numbers.</param>
    /// <param name="background">A CSS colour for a body cell (row, column), or null.</param>
    public HtmlReport Table(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows, int textColumns = 1,
        Func<int, int, string?>? background = null)
    {
        string Class(int column) => column < textColumns ? " class=\"text\"" : "";
        _body.Append("<table><thead><tr>");
        for (var c = 0; c < header.Count; c++) _body.Append($"<th{Class(c)}>{Escape(header[c])}</th>");
        _body.Append("</tr></thead><tbody>\n");
        var r = 0;
        foreach (var row in rows)
        {
            _body.Append("<tr>");
            for (var c = 0; c < row.Count; c++)
            {
                var colour = background?.Invoke(r, c);
                var style = colour is null ? "" : $" style=\"background:{colour}\"";
                _body.Append($"<td{Class(c)}{style}>{Escape(row[c])}</td>");
            }
            _body.Append("</tr>\n");
            r++;
        }
        _body.Append("</tbody></table>\n");
        return this;
    }

    /// <summary>Images in a grid, each embedded (SVG when given, else PNG) and linked to its SVG file by relative path.</summary>
    public HtmlReport Figures(IEnumerable<ChartFiles> charts, string? linkBase = null)
    {
        _body.Append("<div class=\"figures\">\n");
        foreach (var chart in charts)
        {
            var image = DataUri(chart.Svg);
            var link = linkBase is null ? null : Path.GetRelativePath(linkBase, chart.Svg).Replace('\\', '/');
            var img = $"<img alt=\"{Escape(chart.Title)}\" src=\"{image}\">";
            _body.Append("<figure>")
                .Append(link is null ? img : $"<a href=\"{Escape(link)}\">{img}</a>")
                .Append($"<figcaption>{Escape(chart.Title)}</figcaption></figure>\n");
        }
        _body.Append("</div>\n");
        return this;
    }

    /// <summary>Markup that the caller has escaped itself.</summary>
    public HtmlReport Raw(string html)
    {
        _body.Append(html).Append('\n');
        return this;
    }

    public string Render() =>
        $"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{Escape(Title)}</title>\n<style>{Style}</style></head>\n" +
        $"<body>\n<h1>{Escape(Title)}</h1>\n{_body}</body></html>\n";

    public void Save(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, Render(), new UTF8Encoding(false));
    }

    public static string Escape(string text) => WebUtility.HtmlEncode(text);

    /// <summary>A file as a data: URI, typed by its extension (.svg or .png).</summary>
    public static string DataUri(string path)
    {
        var type = Path.GetExtension(path).ToLowerInvariant() == ".svg" ? "image/svg+xml" : "image/png";
        return $"data:{type};base64,{Convert.ToBase64String(File.ReadAllBytes(path))}";
    }
}
