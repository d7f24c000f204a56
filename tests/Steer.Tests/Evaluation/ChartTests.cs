using System.Buffers.Binary;
using System.Xml.Linq;
using Steer.Evaluation.Reports;
using Steer.Tests.IO;

namespace Steer.Tests.Evaluation;

/// <summary>The charts are real PNG and SVG files (text needs a system font; the files are valid without one).</summary>
public sealed class ChartTests
{
    private static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Checks the PNG signature and the IHDR chunk, returning the image's width and height.</summary>
    internal static (int Width, int Height) ShouldBeAPng(string path)
    {
        var bytes = File.ReadAllBytes(path);
        bytes.Take(8).ShouldBe(PngSignature);
        System.Text.Encoding.ASCII.GetString(bytes, 12, 4).ShouldBe("IHDR");
        System.Text.Encoding.ASCII.GetString(bytes, bytes.Length - 8, 4).ShouldBe("IEND");
        return (BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20)));
    }

    /// <summary>Parses the file as XML and checks its root is an SVG element.</summary>
    internal static XElement ShouldBeAnSvg(string path)
    {
        var root = XDocument.Load(path).Root!;
        root.Name.LocalName.ShouldBe("svg");
        root.Name.NamespaceName.ShouldBe("http://www.w3.org/2000/svg");
        root.Descendants().Count().ShouldBeGreaterThan(5);
        return root;
    }

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
}
