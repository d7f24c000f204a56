using System.Globalization;
using System.Text;

namespace Steer.Evaluation.Reports;

/// <summary>
/// Colours for the per-token view: green where steering made a token more likely, red where less, stronger
/// for larger changes relative to the text's largest unmasked change.
/// </summary>
public static class TokenView
{
    /// <summary>The largest |difference| among unmasked tokens (the colour scale), or 1 when there is none.</summary>
    public static double Scale(IReadOnlyList<TokenDifference> tokens)
    {
        var max = tokens.Where(t => !t.Masked).Select(t => Math.Abs(t.Difference)).DefaultIfEmpty(0).Max();
        return max > 0 ? max : 1;
    }

    /// <summary>Strength in [0, 1] of a token's colour.</summary>
    public static double Intensity(TokenDifference token, double scale) => Math.Min(1, Math.Abs(token.Difference) / scale);

    /// <summary>A page with the text coloured token by token (values in each token's tooltip) and a table of every token.</summary>
    public static HtmlReport Html(string title, string? steering, IReadOnlyList<TokenDifference> tokens)
    {
        var scale = Scale(tokens);
        var report = new HtmlReport(title);
        if (steering is not null) report.Paragraph($"Steering: {steering}", "note");
        report.Paragraph("Each token is coloured by logp_steered − logp_unsteered of predicting it: green when steering made it more likely, " +
            $"red when less; full colour is a change of {scale:G3} nats. Grey underlined tokens are predicted from positions the vector modifies " +
            "directly (masked in perplexity). Hover a token for its numbers.", "note");
        var text = new StringBuilder("<p class=\"tokens\">");
        foreach (var token in tokens)
        {
            var tip = HtmlReport.Escape(string.Create(CultureInfo.InvariantCulture,
                $"{Quote(token.Text)}: {token.LogpUnsteered:F3} → {token.LogpSteered:F3} ({token.Difference:+0.000;-0.000} nats, ×{Math.Exp(token.Difference):G3})"));
            var style = token.Masked ? " class=\"masked\"" : $" style=\"background:{Css(token, scale)}\"";
            text.Append($"<span{style} title=\"{tip}\">{HtmlReport.Escape(token.Text)}</span>");
        }
        report.Raw(text.Append("</p>").ToString());
        report.Table(["position", "token", "logp unsteered", "logp steered", "difference", "probability ×"],
            tokens.Select(t => (IReadOnlyList<string>)[
                t.Position.ToString(CultureInfo.InvariantCulture), Quote(t.Text) + (t.Masked ? " (masked)" : ""),
                F(t.LogpUnsteered), F(t.LogpSteered), F(t.Difference), Math.Exp(t.Difference).ToString("G3", CultureInfo.InvariantCulture)]),
            textColumns: 2, background: (r, c) => c == 4 && !tokens[r].Masked ? Css(tokens[r], scale) : null);
        return report;
    }

    private static string Css(TokenDifference token, double scale)
    {
        var alpha = (0.75 * Intensity(token, scale)).ToString("F2", CultureInfo.InvariantCulture);
        return token.Difference >= 0 ? $"rgba(44,160,44,{alpha})" : $"rgba(214,39,40,{alpha})";
    }

    private static string F(double value) => value.ToString("F3", CultureInfo.InvariantCulture);

    private static string Quote(string text) => "\"" + text.Replace("\n", "\\n") + "\"";
}
