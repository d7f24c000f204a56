using Steer.Evaluation;
using Steer.Steering;
using Steer.Steering.Methods;
using Steer.Tests.IO;

namespace Steer.Tests.Cli;

/// <summary>steer eval kl --prompts: the post's KL stress test against a control, on a formula model.</summary>
public sealed class EvalKlStressSpecs(CliModelFixture fixture) : IClassFixture<CliModelFixture>, IDisposable
{
    private static readonly string[] Steering = ["--plus", " weddings", "--minus", "", "--layer", "1", "--coeff", "4"];
    private static readonly string[] Prompts = ["Hi there", "The bride smiled at the groom and said", "A ship sailed into the harbour at dawn", "I think you're"];

    private readonly TempDirectory _directory = new();
    private LanguageModel Model => fixture.Model;
    private SteeringVector Weddings => ActAdd.Pair(Model, " weddings", "", 1, 4);
    private string PromptFile => _directory.Write("prompts.txt", string.Join("\n", Prompts) + "\n");

    private CliResult Stress(params string[] args) => Cli.Run(["eval", "kl", "--model", fixture.Directory, .. Steering, .. args]);

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Json_gives_each_prompts_kls_entropy_and_normalised_kls_the_skipped_prompts_and_the_summary()
    {
        // Arrange
        var expected = KlStressTest.Measure(Model, Prompts, Weddings, RandomControl.RandomLike(Weddings, 0));

        // Act
        var result = Stress("--prompts", PromptFile, "--json");

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        var json = result.Json();
        json.GetProperty("from_position").GetInt32().ShouldBe(3);
        json.GetProperty("measure").GetString().ShouldBe("KL(unsteered || run) / H(unsteered), each the mean over positions >= 3");
        json.GetProperty("control").GetProperty("kind").GetString().ShouldBe("random");
        json.GetProperty("control").GetProperty("seed").GetInt32().ShouldBe(0);
        var rows = json.GetProperty("prompts").EnumerateArray().ToList();
        rows.Select(r => r.GetProperty("index").GetInt32()).ShouldBe([1, 2, 3]);
        for (var i = 0; i < rows.Count; i++)
        {
            var row = rows[i];
            row.GetProperty("prompt").GetString().ShouldBe(Prompts[i + 1]);
            row.GetProperty("tokens").GetInt32().ShouldBe(Model.Tokenizer.Encode(Prompts[i + 1]).Count);
            row.GetProperty("kl_steered").GetDouble().ShouldBe(expected.Rows[i].KlSteered);
            row.GetProperty("kl_control").GetDouble().ShouldBe(expected.Rows[i].KlControl);
            var entropy = row.GetProperty("entropy").GetDouble();
            row.GetProperty("normalised_steered").GetDouble().ShouldBe(row.GetProperty("kl_steered").GetDouble() / entropy, 1e-15);
            row.GetProperty("normalised_control").GetDouble().ShouldBe(row.GetProperty("kl_control").GetDouble() / entropy, 1e-15);
        }
        var skipped = json.GetProperty("skipped").EnumerateArray().ShouldHaveSingleItem();
        skipped.GetProperty("index").GetInt32().ShouldBe(0);
        skipped.GetProperty("reason").GetString().ShouldBe("no position >= 3, only 0..2");
        skipped.GetProperty("tokens").GetInt32().ShouldBe(3);
        var summary = json.GetProperty("summary");
        (summary.GetProperty("prompts").GetInt32(), summary.GetProperty("skipped").GetInt32()).ShouldBe((3, 1));
        summary.GetProperty("mean_steered").GetDouble().ShouldBe(rows.Average(r => r.GetProperty("normalised_steered").GetDouble()), 1e-15);
        summary.GetProperty("median_control").GetDouble().ShouldBe(rows.Select(r => r.GetProperty("normalised_control").GetDouble()).Order().ElementAt(1));
        var below = rows.Count(r => r.GetProperty("normalised_steered").GetDouble() < r.GetProperty("normalised_control").GetDouble());
        summary.GetProperty("steered_below_control").GetInt32().ShouldBe(below);
        summary.GetProperty("share_steered_below_control").GetDouble().ShouldBe(below / 3.0, 1e-15);
    }

    [Fact]
    public void The_text_output_labels_the_direction_names_the_default_control_lists_the_skipped_prompts_and_fits_80_columns()
    {
        // Act
        var result = Stress("--prompts", PromptFile);
        var single = Cli.Run(["eval", "kl", "--model", fixture.Directory, .. Steering]);

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        var lines = result.Output.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        lines.ShouldContain("control: random, per-position norms of the steering vector, seed 0 (default)");
        lines.ShouldContain("per prompt: KL(unsteered || run) / H(unsteered), mean over positions >= 3");
        lines.ShouldContain("3 prompts measured, 1 skipped");
        lines.ShouldContain("  #0 (3 tokens with BOS): no position >= 3, only 0..2");
        lines.ShouldContain("      Hi there");
        lines.Single(l => l.StartsWith("1  ", StringComparison.Ordinal)).ShouldContain("The bride smiled at the groom and said");
        lines.ShouldContain(l => l.StartsWith("prompts the steering moves less than the control: ", StringComparison.Ordinal));
        lines.Skip(1).ShouldAllBe(l => l.Length <= 80);
        single.Output.ShouldContain("KL(steered || unsteered) = ");
    }

    [Fact]
    public void The_built_in_prompts_are_used_when_prompts_has_no_file_and_an_excerpt_keeps_a_long_prompt_within_80_columns()
    {
        // Act
        var result = Stress("--prompts");
        var json = Stress("--prompts", "--json");

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        json.Json().GetProperty("prompts").GetArrayLength().ShouldBe(KlStressPrompts.BuiltIn().Count);
        result.Output.ShouldContain($"{KlStressPrompts.BuiltIn().Count} prompts measured, 0 skipped");
        result.Output.Split('\n').Skip(1).ShouldAllBe(l => l.TrimEnd('\r').Length <= 80);
        result.Output.ShouldContain("…");
    }

    [Fact]
    public void A_seed_gives_the_same_numbers_every_time_and_the_same_random_vector_from_a_file_gives_the_same_numbers()
    {
        // Arrange
        var path = _directory.File("control.safetensors");
        SteeringVectorFile.Save(RandomControl.RandomLike(Weddings, 7), path);
        double[] Controls(CliResult r) => [.. r.Json().GetProperty("prompts").EnumerateArray().Select(p => p.GetProperty("kl_control").GetDouble())];

        // Act
        var first = Stress("--prompts", PromptFile, "--seed", "7", "--json");
        var again = Stress("--prompts", PromptFile, "--seed", "7", "--json");
        var other = Stress("--prompts", PromptFile, "--seed", "8", "--json");
        var file = Stress("--prompts", PromptFile, "--control", path, "--json");
        var text = Stress("--prompts", PromptFile, "--control", path);

        // Assert
        Controls(first).ShouldBe(Controls(again));
        Controls(file).ShouldBe(Controls(first));
        Controls(other).ShouldNotBe(Controls(first));
        file.Json().GetProperty("control").GetProperty("path").GetString().ShouldBe(path);
        text.Output.ShouldContain($"control: {path}\n");
    }

    [Fact]
    public void A_prompt_shorter_than_the_vector_is_skipped_under_the_error_policy_and_measured_under_pad()
    {
        // Arrange: the vector spans 7 positions, the last prompt has 6 tokens with BOS.
        string[] longVector = ["eval", "kl", "--model", fixture.Directory, "--plus", "Love is all around us today", "--minus", "", "--layer", "1", "--coeff", "3",
            "--prompts", _directory.Write("p.txt", "The bride smiled at the groom and said\nI went up to him\n")];

        // Act
        var error = Cli.Run(longVector);
        var padded = Cli.Run([.. longVector, "--short-prompt", "pad", "--json"]);

        // Assert
        error.ExitCode.ShouldBe(0, error.Error);
        error.Output.ShouldContain("  #1 (6 tokens with BOS): shorter than the steering vector's 7 positions\n      I went up to him\n");
        error.Output.ShouldContain("(--short-prompt pad or truncate measures prompts shorter than a vector)");
        padded.Json().GetProperty("prompts").GetArrayLength().ShouldBe(2);
    }

    [Theory]
    [InlineData("stress.png")]
    [InlineData("stress.svg")]
    public void Plot_writes_the_scatter_in_the_format_its_extension_names(string name)
    {
        // Act
        var result = Stress("--prompts", PromptFile, "--plot", _directory.File(name), "--json");

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        result.Json().GetProperty("prompts").GetArrayLength().ShouldBe(3);
        if (name.EndsWith(".png", StringComparison.Ordinal)) ReportAssertions.ShouldBeAPng(_directory.File(name));
        else ReportAssertions.ShouldBeAnSvg(_directory.File(name));
    }

    [Fact]
    public void Shards_merged_print_exactly_what_one_run_prints_and_merge_can_plot()
    {
        // Arrange
        var prompts = PromptFile;
        var whole = Stress("--prompts", prompts);
        var wholeJson = Stress("--prompts", prompts, "--json");
        var shards = _directory.File("shards");

        // Act
        var runs = Enumerable.Range(0, 3).Select(i => Stress("--prompts", prompts, "--shard", $"{i}/3", "--out", shards)).ToList();
        var merged = Cli.Run("eval", "merge", shards, "--plot", _directory.File("merged.svg"));
        var mergedJson = Cli.Run("eval", "merge", shards, "--json");

        // Assert
        runs.ShouldAllBe(r => r.ExitCode == 0);
        runs[0].Output.ShouldStartWith("shard 0/3: ");
        merged.ExitCode.ShouldBe(0, merged.Error);
        merged.Output.ShouldBe(whole.Output);
        mergedJson.Output.ShouldBe(wholeJson.Output);
        ReportAssertions.ShouldBeAnSvg(_directory.File("merged.svg"));
    }

    [Fact]
    public void A_control_of_another_width_is_refused_before_any_pass()
    {
        // Arrange
        var path = _directory.File("narrow.safetensors");
        SteeringVectorFile.Save(new SteeringVector([new SteeringComponent("blocks.1.hook_resid_pre", 2, 32, new float[64])]), path);

        // Act
        var result = Stress("--prompts", PromptFile, "--control", path);

        // Assert
        result.ShouldFailWith(2, "the control vector does not fit", "32 wide");
    }

    [Theory]
    [InlineData("missing", 3, "no such prompt file")]
    [InlineData("empty", 2, "no prompts in the file")]
    [InlineData("malformed", 4, "bad.jsonl:1: not a JSON line")]
    public void A_missing_empty_or_malformed_prompt_file_is_refused(string kind, int exitCode, string message)
    {
        // Arrange
        var path = kind switch
        {
            "missing" => _directory.File("nothing.txt"),
            "empty" => _directory.Write("empty.txt", "\n\n"),
            _ => _directory.Write("bad.jsonl", "prompt: hello\n"),
        };

        // Act
        var result = Stress("--prompts", path);

        // Assert
        result.ShouldFailWith(exitCode, message);
    }

    [Theory]
    [InlineData("--from-position -1", "--from-position must not be negative, got -1")]
    [InlineData("--prompt hello", "--prompts runs the stress test over a prompt list; --prompt belongs to the single-prompt comparison")]
    [InlineData("--position 2", "--position belongs to the single-prompt comparison")]
    [InlineData("--control missing.safetensors", "--control missing.safetensors: no such vector file (or give 'random')")]
    [InlineData("--seed 1 --control other.safetensors", "--seed draws the random control; it does not go with --control FILE")]
    [InlineData("--shard 0/2 --out DIR --plot DIR/a.png", "--plot draws every prompt")]
    public void Bad_stress_options_are_refused_with_what_is_wrong(string options, string message)
    {
        // Act
        var result = Stress(["--prompts", PromptFile, .. options.Replace("DIR", _directory.Path, StringComparison.Ordinal).Split(' ')]);

        // Assert
        result.ShouldFailWith(message.StartsWith("--control", StringComparison.Ordinal) ? 3 : 2, message);
    }

    [Theory]
    [InlineData("--from-position", "2")]
    [InlineData("--control", "random")]
    [InlineData("--seed", "3")]
    [InlineData("--shard", "0/2")]
    public void Stress_options_without_prompts_are_a_usage_error(string option, string value)
    {
        // Act
        var result = Stress(option, value);

        // Assert
        result.ShouldFailWith(2, $"{option} goes with --prompts (the KL stress test)");
    }
}
