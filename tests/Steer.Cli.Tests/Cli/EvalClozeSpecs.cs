using Steer.Evaluation.Cloze;
using Steer.Steering.Methods;
using Steer.Tests.IO;

namespace Steer.Tests.Cli;

/// <summary>steer eval cloze (P@K of LAMA-style items) on a formula model.</summary>
public sealed class EvalClozeSpecs(CliModelFixture fixture) : IClassFixture<CliModelFixture>, IDisposable
{
    private static readonly string[] Steering = ["--plus", " weddings", "--minus", "", "--layer", "1", "--coeff", "4"];
    private readonly TempDirectory _directory = new();

    private CliResult Cloze(params string[] args) => Cli.Run(["eval", "cloze", "--model", fixture.Directory, .. args]);

    private string File(params string[] lines) => _directory.Write("items.jsonl", string.Join("\n", lines));

    private static string Line(string sentence, string target) => $"{{\"masked_sentence\": \"{sentence}\", \"obj_label\": \"{target}\"}}";

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Json_has_p_at_k_both_ways_every_kept_items_ranks_and_the_dropped_items_with_reasons()
    {
        // Arrange
        var path = File(Line("The capital of France is [MASK].", "Paris"), Line("He plays the [MASK].", "xylophonist"),
            Line("[MASK] is a city.", "Paris"), Line("Bees make [MASK].", "honey"));
        var expected = ClozeEvaluation.Measure(fixture.Model, ClozeFile.Read(path), ActAdd.Pair(fixture.Model, " weddings", "", 1, 4), ks: [1, 10, 1000]);

        // Act
        var result = Cloze([.. Steering, "--file", path, "--k", "1000,1,10", "--json"]);

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        var json = result.Json();
        json.GetProperty("items_read").GetInt32().ShouldBe(4);
        json.GetProperty("kept").GetInt32().ShouldBe(2);
        var items = json.GetProperty("items").EnumerateArray().ToList();
        items.Select(i => i.GetProperty("line").GetInt32()).ShouldBe([1, 4]);
        items.Select(i => (i.GetProperty("rank_unsteered").GetInt32(), i.GetProperty("rank_steered").GetInt32()))
            .ShouldBe(expected.Kept.Select(k => (k.RankUnsteered, k.RankSteered)));
        json.GetProperty("dropped").EnumerateArray().Select(d => (d.GetProperty("line").GetInt32(), d.GetProperty("reason").GetString()))
            .ShouldBe([(2, "not_one_token"), (3, "empty_prompt")]);
        var accuracy = json.GetProperty("accuracy").EnumerateArray().ToList();
        accuracy.Select(a => a.GetProperty("k").GetInt32()).ShouldBe([1, 10, 1000]);
        accuracy.Select(a => a.GetProperty("steered").GetDouble()).ShouldBe(expected.Accuracy.Select(a => a.Steered));
        accuracy.Select(a => a.GetProperty("unsteered").GetDouble()).ShouldBe(expected.Accuracy.Select(a => a.Unsteered));
    }

    [Fact]
    public void Coefficient_0_gives_the_same_p_at_k_steered_and_unsteered()
    {
        // Act
        var result = Cloze("--plus", " weddings", "--minus", "", "--layer", "1", "--coeff", "0", "--json");

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        var json = result.Json();
        json.GetProperty("items_read").GetInt32().ShouldBeGreaterThanOrEqualTo(45);
        json.GetProperty("accuracy").EnumerateArray().ShouldAllBe(a => a.GetProperty("steered").GetDouble() == a.GetProperty("unsteered").GetDouble());
        json.GetProperty("items").EnumerateArray().ShouldAllBe(i => i.GetProperty("rank_steered").GetInt32() == i.GetProperty("rank_unsteered").GetInt32());
    }

    [Fact]
    public void The_table_shows_the_kept_and_dropped_counts_and_the_plot_is_written()
    {
        // Arrange
        var path = File(Line("The capital of France is [MASK].", "Paris"), Line("He plays the [MASK].", "xylophonist"));
        var plot = _directory.File("plots/cloze.svg");

        // Act
        var result = Cloze([.. Steering, "--file", path, "--k", "1,5", "--plot", plot]);

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        result.Output.ShouldContain("1 of 2 items kept; dropped 1 whose target is not one token");
        result.Output.ShouldContain("P@K unsteered");
        result.Output.Split('\n').Where(line => !line.Contains(_directory.Path)).ShouldAllBe(line => line.Length <= 80);     // paths are as long as they are
        System.IO.File.ReadAllText(plot).ShouldContain("<svg");
    }

    [Fact]
    public void A_prompt_shorter_than_the_vector_is_dropped_and_counted_under_the_default_policy()
    {
        // Arrange
        var path = File(Line("Bees make [MASK].", "honey"), Line("The capital of the country of France is [MASK].", "Paris"));

        // Act
        var result = Cloze("--plus", "Love and marriage and weddings", "--minus", "", "--layer", "1", "--coeff", "2", "--file", path, "--json");

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        var json = result.Json();
        json.GetProperty("kept").GetInt32().ShouldBe(1);
        json.GetProperty("dropped")[0].GetProperty("reason").GetString().ShouldBe("shorter_than_vector");
    }

    [Theory]
    [InlineData(3, "no such cloze file", "--file", "/nonexistent/items.jsonl")]
    [InlineData(4, "line 2 has no [MASK]", "--file", "NO_MASK")]
    [InlineData(4, "line 2 has more than one [MASK]", "--file", "TWO_MASKS")]
    [InlineData(4, "line 2 has no \"obj_label\"", "--file", "NO_LABEL")]
    [InlineData(2, "K must be at least 1", "--k", "1,0")]
    [InlineData(2, "expected whole numbers", "--k", "1,five")]
    [InlineData(2, "a plot is written as .png or .svg", "--plot", "PLOT")]
    public void Bad_inputs_fail_with_a_message(int exitCode, string message, params string[] args)
    {
        // Arrange
        var good = Line("Cows give [MASK].", "milk");
        var resolved = args.Select(a => a switch
        {
            "NO_MASK" => File(good, Line("Cows give milk.", "milk")),
            "TWO_MASKS" => File(good, Line("[MASK] give [MASK].", "milk")),
            "NO_LABEL" => File(good, "{\"masked_sentence\": \"Cows give [MASK].\"}"),
            "PLOT" => _directory.File("cloze.gif"),
            _ => a,
        }).ToArray();

        // Act
        var result = Cloze([.. Steering, .. resolved]);

        // Assert
        result.ShouldFailWith(exitCode, message);
    }
}
