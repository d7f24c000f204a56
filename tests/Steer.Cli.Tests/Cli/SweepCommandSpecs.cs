using System.Text.Json;
using Steer.Evaluation;
using Steer.Tests.IO;

namespace Steer.Tests.Cli;

/// <summary>steer sweep: every layer × coefficient, written as CSV, JSON, PNG/SVG charts and an offline HTML report.</summary>
public sealed class SweepCommandSpecs(CliModelFixture fixture) : IClassFixture<CliModelFixture>
{
    private CliResult Sweep(string outDir, params string[] args) =>
        Cli.Run(["sweep", "--model", fixture.Directory, "--out", outDir, .. args]);

    [Fact]
    public void A_perplexity_sweep_writes_rows_for_every_layer_coefficient_and_topic_charts_and_a_report()
    {
        // Arrange
        using var directory = new TempDirectory();
        var texts = directory.Write("w.txt", "The bride and groom cut the cake. They married in June.");

        // Act
        var result = Sweep(directory.File("out"), "--layers", "0..1", "--coeffs", "linspace(0,2,3)", "--file", $"weddings={texts}", "--topic", "shipping", "--json");

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        result.Json().GetProperty("rows").GetInt32().ShouldBe(2 * 3 * 2);
        var csv = File.ReadAllLines(Path.Combine(directory.File("out"), "results.csv"));
        csv[0].Split(',').ShouldContain("coeff");
        csv[0].Split(',').ShouldContain("ratio");
        csv.Length.ShouldBe(1 + 12);
        csv.Skip(1).Where(l => l.Split(',')[1] == "0").ShouldAllBe(l => l.EndsWith(",1"));
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(directory.File("out"), "results.json")));
        json.RootElement.GetProperty("rows").GetArrayLength().ShouldBe(12);
        json.RootElement.GetProperty("layers").Ints().ShouldBe([0, 1]);
        foreach (var name in new[] { "by-layer-c0", "by-layer-c1", "by-layer-c2", "by-coeff-L0", "by-coeff-L1" })
        {
            ReportAssertions.ShouldBeAPng(Path.Combine(directory.File("out"), name + ".png"));
            ReportAssertions.ShouldBeAnSvg(Path.Combine(directory.File("out"), name + ".svg"));
        }
        ReportAssertions.ShouldBeSelfContained(File.ReadAllText(Path.Combine(directory.File("out"), "report.html")));
    }

    [Fact]
    public void A_kl_sweep_has_one_row_per_setting_for_the_prompt()
    {
        // Arrange
        using var directory = new TempDirectory();

        // Act
        var result = Sweep(directory.Path, "--metric", "kl", "--layers", "1", "--coeffs", "0,3", "--plus", "Love", "--minus", "Hate");

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        var csv = File.ReadAllLines(directory.File("results.csv"));
        csv[0].ShouldBe("layer,coeff,topic,position,kl,top_token,top_contribution");
        csv.Length.ShouldBe(3);
        csv[1].ShouldStartWith("1,0,I'm excited because I'm going to a,9,0,");
        result.Output.ShouldContain("report.html");
    }

    [Fact]
    public void A_wordcount_sweep_counts_the_words_in_steered_completions_against_the_unsteered_baseline()
    {
        // Arrange
        using var directory = new TempDirectory();

        // Act
        var result = Sweep(directory.Path, "--metric", "wordcount", "--layers", "0,1", "--coeffs", "4", "--words", "the,a",
            "-n", "3", "--max-new-tokens", "6", "--json");

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        using var json = JsonDocument.Parse(File.ReadAllText(directory.File("results.json")));
        var rows = json.RootElement.GetProperty("rows").EnumerateArray().ToList();
        rows.Count.ShouldBe(2);
        rows.ShouldAllBe(r => r.GetProperty("completions").GetInt32() == 3 && r.GetProperty("topic").GetString() == "I went up to my friend and said");
        json.RootElement.GetProperty("baselines")[0].GetProperty("value").GetDouble().ShouldBe(rows[0].GetProperty("mean_count_unsteered").GetDouble());
    }

    [Theory]
    [InlineData("--layers", "3..1", "runs backwards")]
    [InlineData("--layers", "0..5", "layer 2 is out of range")]
    [InlineData("--coeffs", "linspace(0,1)", "--coeffs")]
    [InlineData("--metric", "bleu", "use perplexity, kl, effectiveness, disruption or wordcount")]
    [InlineData("--mode", "prompting", "no layer or coefficient to sweep")]
    public void A_bad_sweep_option_is_a_usage_error_with_a_message(string option, string value, string message)
    {
        // Arrange
        using var directory = new TempDirectory();
        string[] defaults = ["--layers", "0", "--coeffs", "1"];
        var args = defaults.Contains(option) ? defaults.Select((a, i) => i > 0 && defaults[i - 1] == option ? value : a).ToArray() : [.. defaults, option, value];

        // Act
        var result = Sweep(directory.Path, args);

        // Assert
        result.ShouldFailWith(2, message);
    }

    [Fact]
    public void Sweep_refuses_fixed_layer_and_coefficient_options()
    {
        // Arrange
        using var directory = new TempDirectory();

        // Act
        var result = Sweep(directory.Path, "--layers", "0", "--coeffs", "1", "--plus", "Love", "--layer", "1");

        // Assert
        result.ExitCode.ShouldBe(2);
        result.Error.ShouldContain("--layer");
    }
}
