using Steer.Tests.IO;

namespace Steer.Tests.Cli;

/// <summary>steer eval perplexity|wordcount --shard I/N and steer eval merge on a formula model.</summary>
public sealed class EvalShardSpecs(CliModelFixture fixture) : IClassFixture<CliModelFixture>
{
    private string[] Steering => ["--model", fixture.Directory, "--plus", "Love", "--minus", "Hate", "--layer", "1", "--coeff", "4"];

    [Fact]
    public void Perplexity_shards_merged_print_the_table_of_one_run_and_its_numbers_to_float32_batching_precision()
    {
        // Arrange
        using var directory = new TempDirectory();
        var whole = Cli.Run(["eval", "perplexity", .. Steering, "--json"]);
        var wholeTable = Cli.Run(["eval", "perplexity", .. Steering]);

        // Act
        var shards = Enumerable.Range(0, 3).Select(i => Cli.Run(["eval", "perplexity", .. Steering, "--shard", $"{i}/3", "--out", directory.Path])).ToList();
        var merged = Cli.Run("eval", "merge", directory.Path, "--json");
        var mergedTable = Cli.Run("eval", "merge", directory.Path);

        // Assert
        shards.ShouldAllBe(s => s.ExitCode == 0);
        shards[0].Output.ShouldContain("shard 0/3: ");
        merged.ExitCode.ShouldBe(0, merged.Error);
        mergedTable.Output.ShouldBe(wholeTable.Output);
        var expected = whole.Json().GetProperty("topics").EnumerateArray().ToList();
        var actual = merged.Json().GetProperty("topics").EnumerateArray().ToList();
        actual.Count.ShouldBe(2);
        foreach (var (e, a) in expected.Zip(actual))
        {
            foreach (var count in new[] { "sentences", "skipped", "tokens" })
                a.GetProperty(count).GetInt32().ShouldBe(e.GetProperty(count).GetInt32());
            // Shards batch other sentences together, and float32 products of other shapes round differently.
            foreach (var value in new[] { "perplexity_unsteered", "perplexity_steered", "ratio" })
                a.GetProperty(value).GetDouble().ShouldBe(e.GetProperty(value).GetDouble(), 1e-6 * e.GetProperty(value).GetDouble());
        }
    }

    [Fact]
    public void Wordcount_shards_merged_print_exactly_what_one_run_prints()
    {
        // Arrange
        using var directory = new TempDirectory();
        string[] args = ["eval", "wordcount", .. Steering, "-n", "5", "--max-new-tokens", "8", "--words", "the,a"];
        var whole = Cli.Run([.. args, "--json"]);

        // Act
        var shards = Enumerable.Range(0, 3).Select(i => Cli.Run([.. args, "--shard", $"{i}/3", "--out", directory.Path])).ToList();
        var merged = Cli.Run("eval", "merge", directory.Path, "--json");

        // Assert
        shards.ShouldAllBe(s => s.ExitCode == 0);
        shards[1].Output.ShouldStartWith("shard 1/3: completions 2..2 of 5");
        merged.ExitCode.ShouldBe(0, merged.Error);
        merged.Output.ShouldBe(whole.Output);
        merged.Json().GetProperty("steered").GetProperty("texts").GetArrayLength().ShouldBe(5);
    }

    [Fact]
    public void Merge_refuses_a_missing_shard_and_a_shard_of_another_evaluation()
    {
        // Arrange
        using var directory = new TempDirectory();
        Cli.Run(["eval", "wordcount", .. Steering, "-n", "2", "--max-new-tokens", "4", "--shard", "0/2", "--out", directory.File("a")]).ExitCode.ShouldBe(0);
        Cli.Run(["eval", "wordcount", .. Steering, "-n", "2", "--max-new-tokens", "5", "--shard", "1/2", "--out", directory.File("b")]).ExitCode.ShouldBe(0);

        // Act
        var missing = Cli.Run("eval", "merge", directory.File("a"));
        var foreign = Cli.Run("eval", "merge", directory.File("a"), directory.File("b"));

        // Assert
        missing.ExitCode.ShouldBe(3);
        missing.Error.ShouldContain("shard 1/2 of this evaluation is missing");
        foreign.ExitCode.ShouldBe(2);
        foreign.Error.ShouldContain("belongs to another evaluation");
    }

    [Theory]
    [InlineData("--shard", "0/2", "--shard needs --out DIR for the shard file")]
    [InlineData("--out", "somewhere", "--out is where --shard writes its shard file")]
    [InlineData("--shard", "5/2", "shard 5 of 2 does not exist")]
    public void Shard_options_are_checked_before_the_model_loads(string option, string value, string message)
    {
        // Act
        var result = Cli.Run(["eval", "perplexity", .. Steering, option, value]);

        // Assert
        result.ExitCode.ShouldBe(2);
        result.Error.ShouldContain(message);
    }
}
