using System.Text.Json;
using Steer.Evaluation;
using Steer.Evaluation.Reports;
using Steer.Evaluation.Sweeps;
using Steer.Steering.Recipes;
using Steer.Tests.Cli;
using Steer.Tests.IO;

namespace Steer.Tests.Evaluation;

/// <summary>Sweeps over layers × coefficients and the files they write.</summary>
public sealed class SweepTests(CliModelFixture fixture) : IClassFixture<CliModelFixture>
{
    private LanguageModel Model => fixture.Model;

    private static readonly Topic[] Topics =
    [
        new("weddings", ["The bride and groom cut the wedding cake.", "They married in June."]),
        new("shipping", ["The container ship left the port.", "Freight rates fell again."]),
    ];

    private SweepResult Run(SweepGrid grid) =>
        Sweep.Run(new PerplexitySweepMetric(new PerplexityEvaluation(Model, Topics)), grid,
            layer => RecipeBook.Find("weddings-topic").BuildAt(Model, layer));

    [Fact]
    public void A_perplexity_sweep_has_one_row_per_layer_coefficient_and_topic_in_layer_major_order()
    {
        // Act
        var result = Run(new SweepGrid([0, 1], [0, 1, 2]));

        // Assert
        result.Rows.Count.ShouldBe(2 * 3 * 2);
        result.Rows.Select(r => (r.Layer, r.Coeff, r.Topic)).Take(4).ShouldBe([(0, 0.0, "weddings"), (0, 0.0, "shipping"), (0, 1.0, "weddings"), (0, 1.0, "shipping")]);
        result.Rows.Where(r => r.Coeff == 0).ShouldAllBe(r => r.Value("ratio") == 1.0);
        result.Rows.Where(r => r.Coeff != 0).ShouldAllBe(r => r.Value("ratio") != 1.0);
        result.Baselines.Values.ShouldAllBe(b => b == 1.0);
    }

    [Fact]
    public void Scaling_the_unit_vector_equals_building_the_vector_at_that_coefficient()
    {
        // Arrange
        var recipe = RecipeBook.Find("weddings-topic");

        // Act
        var scaled = recipe.BuildAt(Model, 1) * 2.5;
        var built = recipe.BuildAt(Model, 1, coeff: 2.5);

        // Assert
        scaled.ApproximatelyEquals(built, 1e-6).ShouldBeTrue();
    }

    [Fact]
    public void The_csv_has_a_header_with_coeff_and_ratio_and_one_line_per_row()
    {
        // Arrange
        var result = Run(new SweepGrid([1], [0.5, 1]));

        // Act
        var lines = SweepFiles.Csv(result).TrimEnd('\n').Split('\n');

        // Assert
        lines[0].ShouldBe("layer,coeff,topic,sentences,tokens,perplexity_unsteered,perplexity_steered,ratio");
        lines.Length.ShouldBe(1 + 4);
        lines[1].ShouldStartWith("1,0.5,weddings,2,");
        lines.Skip(1).ShouldAllBe(line => line.Split(',').Length == 8);
    }

    [Fact]
    public void The_output_directory_holds_csv_json_charts_and_a_report()
    {
        // Arrange
        using var directory = new TempDirectory();
        var result = Run(new SweepGrid([0, 1], [0, 2]));

        // Act
        var files = SweepReport.Write(result, directory.Path, [("model", "test")]);

        // Assert
        files.ShouldContain("results.csv");
        files.ShouldContain("results.json");
        files.ShouldContain("report.html");
        files.ShouldContain("by-layer-c2.png");
        files.ShouldContain("by-coeff-L1.svg");
        files.Count.ShouldBe(3 + 2 * (2 + 2));
        files.ShouldAllBe(f => File.Exists(Path.Combine(directory.Path, f)));
        using var json = JsonDocument.Parse(File.ReadAllText(directory.File("results.json")));
        json.RootElement.GetProperty("metric").GetString().ShouldBe("perplexity");
        json.RootElement.GetProperty("rows").GetArrayLength().ShouldBe(8);
        json.RootElement.GetProperty("rows")[0].GetProperty("ratio").GetDouble().ShouldBe(1.0);
        json.RootElement.GetProperty("coeffs").Doubles().ShouldBe([0.0, 2.0]);
    }

    [Fact]
    public void Progress_reports_the_baseline_then_every_setting_and_ends_at_the_total()
    {
        // Arrange
        var reports = new List<SweepProgress>();

        // Act
        Sweep.Run(new PerplexitySweepMetric(new PerplexityEvaluation(Model, Topics)), new SweepGrid([0, 1], [1, 2]),
            layer => RecipeBook.Find("weddings-topic").BuildAt(Model, layer), progress: new Recorder(reports));

        // Assert
        reports.Select(r => r.Done).ShouldBe([1, 2, 3, 4, 5]);
        reports.ShouldAllBe(r => r.Total == 5);
        reports[0].Layer.ShouldBeNull();
        reports[^1].Remaining.ShouldBe(TimeSpan.Zero);
        reports[0].Remaining.ShouldBeNull("the baseline alone does not say what a steered step costs");
    }

    [Fact]
    public void The_estimate_extrapolates_the_time_per_step_once_a_steered_step_has_ended()
    {
        new SweepProgress(2, 10, 0, 1, TimeSpan.FromSeconds(4)).Remaining.ShouldBe(TimeSpan.FromSeconds(16));
        new SweepProgress(1, 10, null, null, TimeSpan.FromSeconds(4)).Remaining.ShouldBeNull();
    }

    private sealed class Recorder(List<SweepProgress> reports) : IProgress<SweepProgress>
    {
        public void Report(SweepProgress value) => reports.Add(value);
    }
}
