using System.Buffers.Binary;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Steer.Tests;

/// <summary>What every chart and report file must be, whichever command wrote it.</summary>
internal static class ReportAssertions
{
    private static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Checks the PNG signature and the IHDR chunk, returning the image's width and height.</summary>
    public static (int Width, int Height) ShouldBeAPng(string path)
    {
        var bytes = File.ReadAllBytes(path);
        bytes.Take(8).ShouldBe(PngSignature);
        System.Text.Encoding.ASCII.GetString(bytes, 12, 4).ShouldBe("IHDR");
        System.Text.Encoding.ASCII.GetString(bytes, bytes.Length - 8, 4).ShouldBe("IEND");
        return (BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20)));
    }

    /// <summary>Parses the file as XML and checks its root is an SVG element.</summary>
    public static XElement ShouldBeAnSvg(string path)
    {
        var root = XDocument.Load(path).Root!;
        root.Name.LocalName.ShouldBe("svg");
        root.Name.NamespaceName.ShouldBe("http://www.w3.org/2000/svg");
        root.Descendants().Count().ShouldBeGreaterThan(5);
        return root;
    }

    /// <summary>No src or href attribute (nor CSS url()) points anywhere remote, and there is no script at all.</summary>
    public static void ShouldBeSelfContained(string html)
    {
        Regex.Matches(html, @"\b(?:src|href)\s*=\s*[""']?\s*(?:https?:)?//", RegexOptions.IgnoreCase).ShouldBeEmpty();
        Regex.Matches(html, @"url\(\s*[""']?\s*(?:https?:)?//", RegexOptions.IgnoreCase).ShouldBeEmpty();
        html.ShouldNotContain("<script", Case.Insensitive);
        html.ShouldNotContain("<link", Case.Insensitive);
        html.ShouldNotContain("@import", Case.Insensitive);
        html.ShouldNotContain("http://", Case.Insensitive);
        html.ShouldNotContain("https://", Case.Insensitive);
    }
}
