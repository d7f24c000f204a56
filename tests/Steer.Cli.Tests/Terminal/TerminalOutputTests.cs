using Steer.Cli.Commands.Shared;
using Steer.Cli.Terminal;

namespace Steer.Tests.Terminal;

/// <summary>Tables measured in terminal columns (wide characters count two), fitted to a width, and colour by the conventions.</summary>
public sealed class TerminalOutputTests
{
    [Theory]
    [InlineData("abc", 3)]
    [InlineData("日本語", 6)]             // CJK: two columns each
    [InlineData("😀!", 3)]               // emoji presentation: two
    [InlineData("e\u0301", 1)]           // e + combining acute: one
    [InlineData("👍\uFE0F", 2)]          // a variation selector takes none
    [InlineData("한글", 4)]
    [InlineData("ｆｕｌｌ", 8)]          // fullwidth forms
    [InlineData("tab\u0007", 3)]         // a control character takes none
    public void Text_width_counts_terminal_columns(string text, int columns) => TextWidth.Of(text).ShouldBe(columns);

    [Fact]
    public void Truncation_keeps_whole_characters_and_marks_the_cut()
    {
        TextWidth.Truncate("日本語テキスト", 7).ShouldBe("日本語…");
        TextWidth.Truncate("short", 7).ShouldBe("short");
        TextWidth.Of(TextWidth.Truncate("日本語テキスト", 6)).ShouldBeLessThanOrEqualTo(6);
    }

    [Fact]
    public void A_table_aligns_wide_characters_by_columns()
    {
        // Arrange
        using var output = new StringWriter();

        // Act
        TextTable.Write(output, ["token", "logp"], [["日本", "-1.5"], ["ab", "-12.25"]]);

        // Assert
        var lines = output.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        lines.Select(TextWidth.Of).Distinct().ShouldHaveSingleItem("every row is as wide as the others");
        lines[1].ShouldBe("日本    -1.50");
        lines[2].ShouldBe("ab     -12.25");
    }

    [Fact]
    public void A_table_wider_than_the_terminal_cuts_its_widest_text_column_and_never_a_number()
    {
        // Arrange
        using var output = new StringWriter();
        var longText = new string('x', 120);

        // Act
        TextTable.Write(output, ["text", "value"], [[longText, "3.164e+06"], ["short", "1"]], width: 40);

        // Assert
        var lines = output.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        lines.ShouldAllBe(line => TextWidth.Of(line) <= 40);
        lines[1].ShouldEndWith("…  3.164e+06");
    }

    [Theory]
    [InlineData(80)]
    [InlineData(200)]
    [InlineData(50)]
    public void The_comparison_table_fits_the_terminal_width_with_wide_text(int width)
    {
        // Arrange
        using var output = new StringWriter();
        var columnWidth = ComparisonTable.ColumnWidthFor(width);

        // Act
        ComparisonTable.WriteText(output, "我恨你因为", ["你总是迟到，而且从不道歉。😀 Then some English words follow here."],
            ["I love you because 日本語 and emoji 🎉 keep the borders straight."], ansi: false, columnWidth);

        // Assert
        var lines = output.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        lines.Select(TextWidth.Of).Distinct().ShouldHaveSingleItem().ShouldBeLessThanOrEqualTo(width);
        string.Concat(lines.Skip(3).Where(l => l.StartsWith('|')).Select(l => l.Split('|')[1].Trim())).Replace(" ", "")
            .ShouldBe("我恨你因为你总是迟到，而且从不道歉。😀ThensomeEnglishwordsfollowhere.");
    }

    [Theory]
    [InlineData(true, null, null, true)]
    [InlineData(true, "1", null, false)]      // NO_COLOR set to anything turns colour off
    [InlineData(true, "", null, true)]        // ... but an empty NO_COLOR does not (no-color.org)
    [InlineData(true, null, "dumb", false)]
    [InlineData(true, null, "xterm-256color", true)]
    [InlineData(false, null, null, false)]    // never into a pipe or a file
    public void Colour_follows_the_terminal_NO_COLOR_and_TERM(bool isTerminal, string? noColor, string? term, bool expected)
    {
        string? Environment(string name) => name switch { "NO_COLOR" => noColor, "TERM" => term, _ => null };

        TerminalInfo.UseColor(isTerminal, Environment).ShouldBe(expected);
    }

    [Fact]
    public void Without_a_terminal_the_width_is_COLUMNS_when_it_is_a_number()
    {
        TerminalInfo.Width(false, name => name == "COLUMNS" ? "100" : null).ShouldBe(100);
        TerminalInfo.Width(false, name => name == "COLUMNS" ? "wide" : null).ShouldBeNull();
        TerminalInfo.Width(false, _ => null).ShouldBeNull();
    }

    [Theory]
    [InlineData(0.2, "<1s")]
    [InlineData(4.4, "4s")]
    [InlineData(75, "1m15s")]
    [InlineData(3720, "1h02m")]
    public void Durations_in_progress_lines_never_read_0s(double seconds, string expected) =>
        ProgressBar.Format(TimeSpan.FromSeconds(seconds)).ShouldBe(expected);
}

/// <summary>Generation progress: silent off a terminal and during the first seconds, then a line erased at the end.</summary>
public sealed class TokenProgressTests
{
    [Fact]
    public void Off_a_terminal_progress_writes_nothing()
    {
        using var error = new StringWriter();
        using (var progress = new TokenProgress(error, enabled: false, expected: 10))
            for (var i = 0; i < 10; i++) progress.Token();

        error.ToString().ShouldBeEmpty();
    }

    [Fact]
    public async Task After_two_seconds_it_shows_tokens_and_rate_and_erases_its_line_at_the_end()
    {
        // Arrange
        using var error = new StringWriter();
        var progress = new TokenProgress(error, enabled: true, expected: 50);
        progress.Token();
        var quiet = error.ToString();

        // Act
        await Task.Delay(2100);
        progress.Token();
        var shown = error.ToString();
        progress.Dispose();

        // Assert
        quiet.ShouldBeEmpty("fast generations show no progress at all");
        shown.ShouldStartWith("\rgenerating: 2/50 tokens, ");
        shown.ShouldContain("/s, 2s");
        error.ToString().ShouldEndWith("\r" + new string(' ', shown.Length - 1) + "\r");
    }
}

/// <summary>One number format per table column.</summary>
public sealed class NumberColumnTests
{
    [Fact]
    public void A_column_of_fixed_point_numbers_gets_the_most_decimals_any_cell_had() =>
        NumberColumn.Normalize(["12.346", "0.5", "3"]).ShouldBe(["12.346", "0.500", "3.000"]);

    [Fact]
    public void One_value_out_of_the_fixed_range_makes_the_whole_column_scientific() =>
        NumberColumn.Normalize(["3.1641E+06", "12.346", "0.5"]).ShouldBe(["3.1641e+06", "1.2346e+01", "5.0000e-01"]);

    [Fact]
    public void Whole_numbers_and_words_are_left_as_they_are()
    {
        NumberColumn.Normalize(["12", "7", "100"]).ShouldBe(["12", "7", "100"]);
        NumberColumn.Normalize(["1.5", "n/a", ""]).ShouldBe(["1.5", "n/a", ""]);
    }

    [Fact]
    public void A_table_prints_each_numeric_column_in_one_format()
    {
        using var output = new StringWriter();

        TextTable.Write(output, ["topic", "ppl"], [["a", "3.1641E+07"], ["b", "12.5"]]);

        output.ToString().ShouldContain("3.1641e+07");
        output.ToString().ShouldContain("1.2500e+01");
    }
}
