using Steer.Cli.Commands.Shared;
using Steer.Hub;

namespace Steer.Tests.Cli;

public sealed class DownloadProgressBarSpecs
{
    [Fact]
    public void A_line_shows_the_percentage_a_bar_bytes_rate_and_time_left()
    {
        // Arrange
        var progress = new DownloadProgress("openai-community/gpt2-xl", "model.safetensors", 2_900_000_000, 6_430_000_000, 48_200_000, false);

        // Act
        var line = DownloadProgressBar.Line(progress, progress.BytesPerSecond);

        // Assert
        line.ShouldBe("model.safetensors         45% [=====>      ] 2.9 GB/6.4 GB 48 MB/s ETA 1:14");
        line.Length.ShouldBeLessThan(80);
        DownloadProgressBar.Line(progress with { BytesDone = 999_000_000, TotalBytes = 999_000_000_000, BytesPerSecond = 999_000_000 }, 999_000_000)
            .Length.ShouldBeLessThan(80, "the widest line must not wrap on an 80-column terminal");
    }

    [Fact]
    public void A_finished_file_shows_a_full_bar_and_done()
    {
        // Arrange
        var progress = new DownloadProgress("org/m", "model-00001-of-00002.safetensors", 999, 999, 0, true);

        // Act
        var line = DownloadProgressBar.Line(progress, 5_500_000);

        // Assert
        line.ShouldBe("model-00001-of-00002     100% [============] 999 B/999 B 5.5 MB/s done");
    }

    [Theory]
    [InlineData("model.safetensors", "model.safetensors       ")]
    [InlineData("model-00001-of-00002.safetensors", "model-00001-of-00002    ")]
    [InlineData("model.safetensors.index.json", "model.safetensors.index ")]
    [InlineData("a-very-long-file-name-without-extension", "a-very-long-file-name-w…")]
    public void Names_fit_24_columns_dropping_a_long_names_extension_before_its_end(string file, string shown)
    {
        // Act & Assert
        DownloadProgressBar.Name(file).ShouldBe(shown);
    }

    [Fact]
    public void A_failed_file_says_so_and_keeps_the_bar_where_it_stopped()
    {
        // Act
        var line = DownloadProgressBar.Line(new DownloadProgress("org/m", "model.safetensors", 500, 1000, 0, true, Failed: true), 2_000);

        // Assert
        line.ShouldBe("model.safetensors         50% [======>     ] 500 B/1.0 kB 2.0 kB/s failed");
    }

    [Fact]
    public void Without_a_known_size_only_the_bytes_and_rate_are_shown()
    {
        // Act
        var line = DownloadProgressBar.Line(new DownloadProgress("org/m", "config.json", 1500, null, 0, false), 0);

        // Assert
        line.ShouldBe("config.json              1.5 kB");
    }

    [Theory]
    [InlineData(0, "0 B")]
    [InlineData(999, "999 B")]
    [InlineData(1_000, "1.0 kB")]
    [InlineData(548_105_171, "548 MB")]
    [InlineData(6_431_878_936, "6.4 GB")]
    public void Sizes_use_decimal_units_as_the_hub_shows_them(long bytes, string expected)
    {
        // Act & Assert
        DownloadProgressBar.Size(bytes).ShouldBe(expected);
    }

    [Theory]
    [InlineData(0.2, "0:01")]
    [InlineData(74, "1:14")]
    [InlineData(3_725, "1:02:05")]
    public void Times_left_are_minutes_and_seconds_with_hours_when_needed(double seconds, string expected)
    {
        // Act & Assert
        DownloadProgressBar.Duration(seconds).ShouldBe(expected);
    }

    [Fact]
    public void Redrawing_a_shorter_line_blanks_the_rest_of_the_longer_one_and_a_finished_file_ends_the_line()
    {
        // Arrange
        using var error = new StringWriter();
        var bar = new DownloadProgressBar(error);

        // Act
        bar.Report(new DownloadProgress("org/m", "config.json", 10_000, null, 1_000_000, false));
        bar.Report(new DownloadProgress("org/m", "config.json", 100, null, 0, false));
        bar.Report(new DownloadProgress("org/m", "config.json", 100, 100, 0, true));

        // Assert
        var redraws = error.ToString().Split('\r')[1..];
        redraws[0].ShouldBe("config.json              10 kB 1.0 MB/s");
        redraws[1].ShouldBe("config.json              100 B".PadRight(redraws[0].Length));
        redraws[2].ShouldEndWith(" done" + Environment.NewLine);
    }
}
