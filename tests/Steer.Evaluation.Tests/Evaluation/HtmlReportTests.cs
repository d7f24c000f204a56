using System.Text.RegularExpressions;
using Steer.Evaluation;
using Steer.Evaluation.Reports;
using Steer.Evaluation.Sweeps;
using Steer.Tests.IO;
using static Steer.Tests.ReportAssertions;

namespace Steer.Tests.Evaluation;

/// <summary>Reports open offline: inline styles, embedded images, no scripts and nothing remote.</summary>
public sealed class HtmlReportTests
{
    [Fact]
    public void A_sweep_report_embeds_its_charts_as_data_uris_and_references_nothing_remote()
    {
        // Arrange
        using var directory = new TempDirectory();
        var rows = new List<SweepRow>();
        foreach (var layer in new[] { 0, 1 })
            foreach (var coeff in new[] { 0.0, 1.0 })
                foreach (var topic in new[] { "weddings", "shipping" })
                    rows.Add(new SweepRow(layer, coeff, topic, new Dictionary<string, object> { ["ratio"] = 1 - 0.1 * coeff * (topic == "weddings" ? 1 : -0.2) }));
        var result = new SweepResult("perplexity", "ratio", "perplexity ratio", ["ratio"], new SweepGrid([0, 1], [0, 1]),
            ["weddings", "shipping"], new Dictionary<string, double> { ["weddings"] = 1, ["shipping"] = 1 }, rows, TimeSpan.FromSeconds(3));

        // Act
        SweepReport.Write(result, directory.Path, [("model", "<formula>")]);
        var html = File.ReadAllText(directory.File("report.html"));

        // Assert
        ShouldBeSelfContained(html);
        Regex.Matches(html, "<img [^>]*src=\"data:image/svg\\+xml;base64,").Count.ShouldBe(4);
        html.ShouldContain("&lt;formula&gt;");
        html.ShouldContain("<table>");
        html.ShouldContain("rgba(49,130,189,");                            // a weddings cell below the baseline
    }

    [Fact]
    public void The_token_view_colours_tokens_by_their_change_and_greys_the_masked_ones()
    {
        // Arrange
        TokenDifference[] tokens =
        [
            new(1, 40, "I", -9, -9.5, Masked: true),
            new(2, 1816, " went", -5, -3, Masked: false),
            new(3, 284, " to", -2, -3, Masked: false),
        ];

        // Act
        var html = TokenView.Html("tokens", "\" weddings\" - \"\"", tokens).Render();

        // Assert
        ShouldBeSelfContained(html);
        html.ShouldContain("<span class=\"masked\"");
        html.ShouldContain("background:rgba(44,160,44,0.75)");          // " went": +2 nats, the largest change
        html.ShouldContain("background:rgba(214,39,40,0.38)");          // " to": −1 nat, half of it
    }
}
