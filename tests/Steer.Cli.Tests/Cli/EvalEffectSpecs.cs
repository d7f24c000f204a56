using Steer.Evaluation;
using Steer.Steering.Methods;
using Steer.Tests.IO;

namespace Steer.Tests.Cli;

/// <summary>steer eval effect and steer sweep --metric effectiveness|disruption on a formula model.</summary>
public sealed class EvalEffectSpecs(CliModelFixture fixture) : IClassFixture<CliModelFixture>
{
    private static readonly string[] Steering = ["--plus", " weddings", "--minus", "", "--layer", "1", "--coeff", "4"];
    private const string Prompt = "I'm excited because I'm going to a";
    private LanguageModel Model => fixture.Model;

    private CliResult Effect(params string[] args) => Cli.Run(["eval", "effect", "--model", fixture.Directory, .. args]);

    [Fact]
    public void Json_has_every_position_with_both_values_the_masked_flags_and_the_means_of_the_library()
    {
        // Arrange
        var aligned = AlignedTokens.FromWords(Model.Tokenizer, "wedding,bride");
        var expected = SteeringEffect.Measure(Model, Model.Tokenizer.Encode(Prompt), ActAdd.Pair(Model, " weddings", "", 1, 4), aligned);

        // Act
        var result = Effect([.. Steering, "--aligned", "wedding, bride", "--json"]);

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        var json = result.Json();
        json.GetProperty("aligned").EnumerateArray().Select(a => a.GetProperty("token").GetString()).ShouldBe([" wedding", " bride"]);
        json.GetProperty("vector_rows").GetInt32().ShouldBe(2);
        var positions = json.GetProperty("positions").EnumerateArray().ToList();
        positions.Count.ShouldBe(expected.Positions.Count);
        for (var i = 0; i < positions.Count; i++)
        {
            positions[i].GetProperty("position").GetInt32().ShouldBe(i);
            positions[i].GetProperty("effectiveness").GetDouble().ShouldBe(expected.Positions[i].Values.Effectiveness);
            positions[i].GetProperty("disruption").GetDouble().ShouldBe(expected.Positions[i].Values.Disruption);
            positions[i].GetProperty("masked").GetBoolean().ShouldBe(i < 2);
        }
        json.GetProperty("unmasked").GetInt32().ShouldBe(positions.Count - 2);
        json.GetProperty("mean_effectiveness").GetDouble().ShouldBe(expected.MeanEffectiveness!.Value);
        json.GetProperty("mean_disruption").GetDouble().ShouldBe(expected.MeanDisruption!.Value);
    }

    [Fact]
    public void The_text_table_fits_80_columns_marks_the_masked_positions_and_ends_with_the_means()
    {
        // Act
        var result = Effect([.. Steering, "--aligned-ids", "10614,37377"]);

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        var lines = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToList();
        lines.ShouldAllBe(l => l.Length <= 80);
        lines.ShouldContain("aligned tokens: \" wedding\", \" weddings\"");
        lines.ShouldContain(l => l.StartsWith("pos  token") && l.EndsWith("effectiveness  disruption  masked"));
        lines.Count(l => l.EndsWith(" yes")).ShouldBe(2);
        lines[^1].ShouldStartWith("mean over 8 unmasked positions: effectiveness ");
    }

    [Fact]
    public void At_position_reports_one_position_and_all_positions_unmasks_the_vector_s()
    {
        // Act
        var last = Effect([.. Steering, "--aligned", "wedding", "--at-position", "-1", "--json"]).Json();
        var first = Effect([.. Steering, "--aligned", "wedding", "--at-position", "1", "--json"]).Json();
        var all = Effect([.. Steering, "--aligned", "wedding", "--all-positions", "--json"]).Json();
        var text = Effect([.. Steering, "--aligned", "wedding", "--at-position", "0"]);

        // Assert
        last.GetProperty("positions").EnumerateArray().ShouldHaveSingleItem().GetProperty("position").GetInt32().ShouldBe(9);
        last.GetProperty("mean_effectiveness").GetDouble().ShouldBe(last.GetProperty("positions")[0].GetProperty("effectiveness").GetDouble());
        first.GetProperty("positions")[0].GetProperty("masked").GetBoolean().ShouldBeTrue();
        first.TryGetProperty("mean_effectiveness", out _).ShouldBeFalse("no unmasked position, no mean");
        all.GetProperty("positions").EnumerateArray().ShouldAllBe(p => !p.GetProperty("masked").GetBoolean());
        all.GetProperty("unmasked").GetInt32().ShouldBe(10);
        text.Output.ShouldContain("no mean: every position shown is masked (the vector spans 2); --all-positions counts them");
    }

    [Theory]
    [InlineData("give --aligned or --aligned-ids")]
    [InlineData("give only one of --aligned or --aligned-ids", "--aligned", "wedding", "--aligned-ids", "10614")]
    [InlineData("give only one of --at-position or --all-positions", "--aligned", "wedding", "--at-position", "3", "--all-positions")]
    [InlineData("not one token: \"xyzzyqwv\" (", "--aligned", "wedding,xyzzyqwv")]
    [InlineData("the aligned words are empty", "--aligned", " , ")]
    [InlineData("aligned token id 50257 outside the vocabulary (0..50256)", "--aligned-ids", "10614,50257")]
    [InlineData("--aligned-ids: 'x' is not a token id", "--aligned-ids", "x")]
    [InlineData("position 10 is outside the prompt's 10 tokens", "--aligned", "wedding", "--at-position", "10")]
    public void Bad_input_is_a_usage_error_naming_the_problem(string message, params string[] args)
    {
        // Act
        var result = Effect([.. Steering, .. args]);

        // Assert
        result.ShouldFailWith(2, message);
    }

    [Theory]
    [InlineData("effectiveness")]
    [InlineData("disruption")]
    public void A_sweep_writes_both_means_per_cell_and_0_at_coefficient_0(string metric)
    {
        // Arrange
        using var directory = new TempDirectory();

        // Act
        var result = Cli.Run("sweep", "--model", fixture.Directory, "--out", directory.Path, "--metric", metric, "--layers", "0,1", "--coeffs", "0,4",
            "--plus", " weddings", "--minus", "", "--aligned", "wedding,bride");

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        var csv = File.ReadAllLines(directory.File("results.csv"));
        csv[0].ShouldBe("layer,coeff,topic,positions,effectiveness,disruption");
        csv.Length.ShouldBe(5);
        csv[1].ShouldBe($"0,0,{Prompt},8,0,0");
        var layer1 = csv[4].Split(',');
        var expected = SteeringEffect.Measure(Model, Model.Tokenizer.Encode(Prompt), ActAdd.Pair(Model, " weddings", "", 1, 4),
            AlignedTokens.FromWords(Model.Tokenizer, "wedding,bride"));
        double.Parse(layer1[4], System.Globalization.CultureInfo.InvariantCulture).ShouldBe(expected.MeanEffectiveness!.Value, 1e-12);
        double.Parse(layer1[5], System.Globalization.CultureInfo.InvariantCulture).ShouldBe(expected.MeanDisruption!.Value, 1e-12);
        result.Output.ShouldContain(metric);
    }

    [Fact]
    public void A_sweep_without_aligned_tokens_is_a_usage_error()
    {
        // Arrange
        using var directory = new TempDirectory();

        // Act
        var result = Cli.Run("sweep", "--model", fixture.Directory, "--out", directory.Path, "--metric", "disruption", "--layers", "0", "--coeffs", "1");

        // Assert
        result.ShouldFailWith(2, "--metric disruption needs the aligned tokens: give --aligned or --aligned-ids");
    }

    [Fact]
    public void Two_shards_of_an_effectiveness_sweep_merge_into_the_unsharded_sweep_s_files_and_other_aligned_tokens_do_not_mix()
    {
        // Arrange
        using var directory = new TempDirectory();
        string[] Args(string outDir, string aligned) =>
            ["sweep", "--model", fixture.Directory, "--metric", "effectiveness", "--layers", "0..1", "--coeffs", "-2,3", "--plus", "Love", "--minus", "Hate",
                "--aligned", aligned, "--out", outDir];
        Cli.Run(Args(directory.File("whole"), "wedding,bride")).ExitCode.ShouldBe(0);

        // Act
        var shards = Enumerable.Range(0, 2).Select(i => Cli.Run([.. Args(directory.File("shards"), "wedding,bride"), "--shard", $"{i}/2"])).ToList();
        var merge = Cli.Run("sweep", "merge", directory.File("shards"), "--out", directory.File("merged"));
        Cli.Run([.. Args(directory.File("other"), "wedding"), "--shard", "1/2"]).ExitCode.ShouldBe(0);
        var foreign = Cli.Run("sweep", "merge", directory.File("shards") + "/sweep-shard-0000-of-0002.json", directory.File("other"), "--out", directory.File("mixed"));

        // Assert
        shards.ShouldAllBe(s => s.ExitCode == 0);
        merge.ExitCode.ShouldBe(0, merge.Error);
        var files = Directory.GetFiles(directory.File("whole")).Select(Path.GetFileName).Order().ToList();
        files.ShouldContain("results.csv");
        foreach (var file in files)
            File.ReadAllBytes(Path.Combine(directory.File("merged"), file!)).SequenceEqual(File.ReadAllBytes(Path.Combine(directory.File("whole"), file!))).ShouldBeTrue($"{file} differs");
        foreign.ExitCode.ShouldBe(2);
        foreign.Error.ShouldContain("belongs to another sweep");
    }
}
