using Steer.Tests.IO;

namespace Steer.Tests.Cli;

/// <summary>steer sweep --shard I/N and steer sweep merge on a formula model.</summary>
public sealed class SweepShardSpecs(CliModelFixture fixture) : IClassFixture<CliModelFixture>
{
    private string[] SweepArgs(string outDir, string coeffs = "-2,0,3") =>
        ["sweep", "--model", fixture.Directory, "--metric", "kl", "--layers", "0..1", "--coeffs", coeffs, "--plus", "Love", "--minus", "Hate", "--out", outDir];

    [Fact]
    public void Three_shards_merged_write_what_the_unsharded_sweep_writes_byte_for_byte()
    {
        // Arrange
        using var directory = new TempDirectory();
        Cli.Run(SweepArgs(directory.File("whole"))).ExitCode.ShouldBe(0);

        // Act
        var shards = Enumerable.Range(0, 3).Select(i => Cli.Run([.. SweepArgs(directory.File("shards")), "--shard", $"{i}/3"])).ToList();
        var merge = Cli.Run("sweep", "merge", directory.File("shards"), "--out", directory.File("merged"));

        // Assert
        shards.ShouldAllBe(s => s.ExitCode == 0);
        shards[0].Output.ShouldStartWith("shard 0/3: 2 of 6 cells (layer 0), 2 rows in ");
        shards[0].Output.ShouldContain("sweep-shard-0000-of-0003.json");
        merge.ExitCode.ShouldBe(0, merge.Error);
        var files = Directory.GetFiles(directory.File("whole")).Select(Path.GetFileName).Order().ToList();
        files.ShouldContain("results.csv");
        files.ShouldContain("report.html");
        Directory.GetFiles(directory.File("merged")).Select(Path.GetFileName).Order().ShouldBe(files);
        foreach (var file in files)
            File.ReadAllBytes(Path.Combine(directory.File("merged"), file!)).SequenceEqual(File.ReadAllBytes(Path.Combine(directory.File("whole"), file!))).ShouldBeTrue($"{file} differs");
    }

    [Fact]
    public void Merge_names_a_missing_shard_and_refuses_a_shard_of_another_sweep()
    {
        // Arrange
        using var directory = new TempDirectory();
        Cli.Run([.. SweepArgs(directory.File("a")), "--shard", "0/2"]).ExitCode.ShouldBe(0);
        Cli.Run([.. SweepArgs(directory.File("b"), coeffs: "-2,0,4"), "--shard", "1/2"]).ExitCode.ShouldBe(0);

        // Act
        var missing = Cli.Run("sweep", "merge", directory.File("a"), "--out", directory.File("out"));
        var foreign = Cli.Run("sweep", "merge", directory.File("a"), directory.File("b"), "--out", directory.File("out"));

        // Assert
        missing.ExitCode.ShouldBe(3);
        missing.Error.ShouldContain("shard 1/2 of this sweep is missing (sweep-shard-0001-of-0002.json)");
        foreign.ExitCode.ShouldBe(2);
        foreign.Error.ShouldContain("belongs to another sweep");
        Directory.Exists(directory.File("out")).ShouldBeFalse("a refused merge writes nothing");
    }

    [Theory]
    [InlineData("2/2", "shard 2 of 2 does not exist")]
    [InlineData("x", "expected I/N")]
    public void A_shard_that_does_not_exist_is_refused_before_loading_the_model(string shard, string message)
    {
        // Arrange
        using var directory = new TempDirectory();

        // Act
        var result = Cli.Run([.. SweepArgs(directory.File("out")), "--shard", shard]);

        // Assert
        result.ExitCode.ShouldBe(2);
        result.Error.ShouldContain(message);
        Directory.Exists(directory.File("out")).ShouldBeFalse();
    }
}
