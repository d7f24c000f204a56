using Steer.Evaluation.Reports;
using Steer.Tests.IO;
using static Steer.Tests.ReportAssertions;

namespace Steer.Tests.Evaluation;

/// <summary>The charts are real PNG and SVG files (text needs a system font; the files are valid without one).</summary>
public sealed class ChartTests
{
    [Fact]
    public void A_line_chart_is_written_as_a_valid_png_and_svg_of_the_chart_size()
    {
        // Arrange
        using var directory = new TempDirectory();
        var plot = Charts.Lines("ratio by layer", "layer", "ratio",
            [new ChartSeries("weddings", [0, 1, 2], [1.0, 0.9, 0.95]), new ChartSeries("shipping", [0, 1, 2], [1.0, 1.02, 1.01])],
            [new ChartBaseline("unsteered", 1)], integerX: true);

        // Act
        var files = Charts.Save(plot, "ratio by layer", directory.File("chart"));

        // Assert
        ShouldBeAPng(files.Png).ShouldBe((Charts.Width, Charts.Height));
        ShouldBeAnSvg(files.Svg);
    }

    [Fact]
    public void A_log_log_scatter_is_written_in_the_format_its_extension_names()
    {
        // Arrange
        using var directory = new TempDirectory();
        var plot = Charts.LogLogScatter("shift", "p", "ratio", [(0.5, 0.8, "\" a\""), (0.001, 40, "\" wedding\""), (0.02, 1.1, "\" party\"")]);

        // Act
        Charts.SaveAs(plot, directory.File("kl.png"));
        Charts.SaveAs(plot, directory.File("kl.svg"));

        // Assert
        ShouldBeAPng(directory.File("kl.png"));
        ShouldBeAnSvg(directory.File("kl.svg"));
        Should.Throw<SteerException>(() => Charts.SaveAs(plot, directory.File("kl.jpg"))).Message.ShouldContain(".png or .svg");
    }

    [Fact]
    public void Lines_on_a_log_x_axis_place_each_point_at_log10_of_x_and_label_ticks_in_the_values()
    {
        var plot = Charts.Lines("cloze", "K", "P@K", [new ChartSeries("unsteered", [1, 10, 1000, 10000], [0, 0.1, 0.2, 0.3])], [], logX: true);

        var scatter = plot.GetPlottables().OfType<ScottPlot.Plottables.Scatter>().ShouldHaveSingleItem();
        scatter.Data.GetScatterPoints().Select(p => p.X).ShouldBe([0, 1, 3, 4]);
        plot.GetImage(Charts.Width, Charts.Height).Dispose();   // ticks are generated when the plot is drawn
        var labels = plot.Axes.Bottom.TickGenerator.Ticks.Where(t => t.IsMajor).Select(t => t.Label).ToList();
        labels.ShouldContain("1");
        labels.ShouldContain("1,000");
        labels.ShouldContain("10,000");
        labels.ShouldNotContain("1E+03");
    }

    [Fact]
    public void A_scatter_against_the_diagonal_is_written_as_png_and_svg_and_draws_the_y_equals_x_line()
    {
        // Arrange
        using var directory = new TempDirectory();
        var plot = Charts.ScatterWithDiagonal("KL stress test", "control", "steering", [(0.2, 0.05), (0.4, 0.5), (0.1, 0.02)]);

        // Act
        Charts.SaveAs(plot, directory.File("stress.png"));
        Charts.SaveAs(plot, directory.File("stress.svg"));

        // Assert
        ShouldBeAPng(directory.File("stress.png")).ShouldBe((Charts.Width, Charts.Height));
        ShouldBeAnSvg(directory.File("stress.svg"));
        plot.Axes.GetLimits().Right.ShouldBe(plot.Axes.GetLimits().Top, 1e-12);
        plot.Axes.GetLimits().Right.ShouldBe(0.5 * 1.05, 1e-12);
    }
}
