using Steer.Evaluation;
using Steer.Steering;
using Steer.Steering.Methods;
using Steer.Tests.IO;

namespace Steer.Tests.Cli;

/// <summary>steer eval perplexity, kl, tokens, wordcount and norms on a formula model.</summary>
public sealed class EvalCommandSpecs(CliModelFixture fixture) : IClassFixture<CliModelFixture>
{
    private static readonly string[] Steering = ["--plus", " weddings", "--minus", "", "--layer", "1", "--coeff", "2"];
    private LanguageModel Model => fixture.Model;

    private CliResult Eval(string command, params string[] args) => Cli.Run(["eval", command, "--model", fixture.Directory, .. args]);

    [Fact]
    public void Perplexity_json_reports_each_default_topic_with_tokens_both_perplexities_and_their_ratio()
    {
        // Arrange
        var expected = new PerplexityEvaluation(Model, Topic.DefaultNames.Select(Topic.BuiltIn).ToList())
            .Measure(ActAdd.Pair(Model, " weddings", "", 1, 2));

        // Act
        var result = Eval("perplexity", [.. Steering, "--json"]);

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        var json = result.Json();
        json.GetProperty("mode").GetString().ShouldBe("overlay");
        json.GetProperty("mask").GetInt32().ShouldBe(2);
        var topics = json.GetProperty("topics").EnumerateArray().ToList();
        topics.Select(t => t.GetProperty("name").GetString()).ShouldBe(["weddings", "shipping"]);
        for (var i = 0; i < 2; i++)
        {
            topics[i].GetProperty("tokens").GetInt32().ShouldBe(expected[i].Tokens);
            var (x, y) = (topics[i].GetProperty("perplexity_unsteered").GetDouble(), topics[i].GetProperty("perplexity_steered").GetDouble());
            topics[i].GetProperty("ratio").GetDouble().ShouldBe(y / x, 1e-9);
            topics[i].GetProperty("ratio").GetDouble().ShouldBe(expected[i].Ratio);
        }
    }

    [Fact]
    public void Perplexity_with_coefficient_0_gives_a_ratio_of_exactly_1()
    {
        // Act
        var result = Eval("perplexity", "--plus", " weddings", "--minus", "", "--layer", "0", "--coeff", "0", "--topic", "cooking", "--json");

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        result.Json().GetProperty("topics")[0].GetProperty("ratio").GetDouble().ShouldBe(1.0);
    }

    [Fact]
    public void Perplexity_reads_named_files_splits_them_into_sentences_and_takes_mask_and_mode()
    {
        // Arrange
        using var directory = new TempDirectory();
        var path = directory.Write("ships.txt", "The ship left the harbour at dawn. Its cargo was grain.\n\nThe crew slept below deck.\n");

        // Act
        var result = Eval("perplexity", [.. Steering, "--file", $"ships={path}", "--mask", "3", "--mode", "pad", "--json"]);

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        var json = result.Json();
        json.GetProperty("mode").GetString().ShouldBe("pad");
        json.GetProperty("mask").GetInt32().ShouldBe(3);
        var topic = json.GetProperty("topics")[0];
        topic.GetProperty("name").GetString().ShouldBe("ships");
        topic.GetProperty("sentences").GetInt32().ShouldBe(3);
    }

    [Fact]
    public void Perplexity_prints_a_table_and_without_steering_options_uses_the_posts_weddings_vector()
    {
        // Act
        var result = Eval("perplexity", "--topic", "weddings");

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        result.Output.ShouldContain("ppl unsteered");
        result.Output.ShouldContain("weddings");
        result.Output.ShouldContain("\" weddings\" - \"\"");
        result.Error.ShouldContain("weddings-topic");
    }

    [Theory]
    [InlineData("--file", "weddings", 2, "expected NAME=PATH")]
    [InlineData("--file", "w=/nonexistent/w.txt", 3, "no such file")]
    [InlineData("--mode", "lens", 2, "use overlay, pad or prompting")]
    [InlineData("--topic", "gardening", 3, "no built-in evaluation set")]
    public void Perplexity_with_a_bad_text_option_fails_with_a_message(string option, string value, int exitCode, string message)
    {
        // Act
        var result = Eval("perplexity", [.. Steering, option, value]);

        // Assert
        result.ShouldFailWith(exitCode, message);
    }

    [Fact]
    public void Kl_json_has_the_position_the_total_and_the_top_contributors_and_ratios()
    {
        // Act
        var result = Eval("kl", [.. Steering, "--top", "4", "--json"]);

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        var json = result.Json();
        json.GetProperty("position").GetInt32().ShouldBe(9);
        json.GetProperty("token").GetString().ShouldBe(" a");
        json.GetProperty("kl").GetDouble().ShouldBeGreaterThan(0);
        json.GetProperty("top_contributors").GetArrayLength().ShouldBe(4);
        json.GetProperty("top_by_ratio").GetArrayLength().ShouldBe(4);
        var first = json.GetProperty("top_contributors")[0];
        var (ps, pn) = (first.GetProperty("p_steered").GetDouble(), first.GetProperty("p_unsteered").GetDouble());
        first.GetProperty("contribution").GetDouble().ShouldBe(ps * Math.Log(ps / pn), 1e-9);
    }

    [Fact]
    public void Kl_writes_the_log_log_plot_and_prints_both_tables()
    {
        // Arrange
        using var directory = new TempDirectory();

        // Act
        var result = Eval("kl", [.. Steering, "--prompt", "I went to a", "--position", "3", "--plot", directory.File("kl.png")]);

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        result.Output.ShouldContain("top contributions to KL");
        result.Output.ShouldContain("top tokens by probability ratio");
        ReportAssertions.ShouldBeAPng(directory.File("kl.png"));
    }

    [Fact]
    public void Tokens_json_lists_every_token_after_BOS_with_its_difference_and_the_html_page_is_self_contained()
    {
        // Arrange
        using var directory = new TempDirectory();

        // Act
        var result = Eval("tokens", [.. Steering, "--text", "The bride smiled.", "--html", directory.File("t.html"), "--json"]);

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        var tokens = result.Json().GetProperty("tokens").EnumerateArray().ToList();
        tokens.Count.ShouldBe(Model.Tokenizer.Encode("The bride smiled.").Count - 1);
        tokens.Select(t => t.GetProperty("masked").GetBoolean()).Take(3).ShouldBe([true, true, false]);   // mask 2: predictions from BOS and position 1
        foreach (var t in tokens)
            t.GetProperty("difference").GetDouble().ShouldBe(t.GetProperty("logp_steered").GetDouble() - t.GetProperty("logp_unsteered").GetDouble(), 1e-12);
        ReportAssertions.ShouldBeSelfContained(File.ReadAllText(directory.File("t.html")));
    }

    [Fact]
    public void Tokens_colours_the_text_only_on_a_terminal()
    {
        // Act
        var result = Eval("tokens", [.. Steering, "--text", "The bride smiled."]);

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        result.Output.ShouldNotContain("\u001b[");
        result.Output.ShouldContain("\" bride\"");
    }

    [Fact]
    public void Wordcount_json_compares_n_unsteered_and_n_steered_completions_of_the_same_seeds()
    {
        // Act
        var result = Eval("wordcount", [.. Steering, "--words", "the,a,and", "-n", "4", "--max-new-tokens", "8", "--json"]);

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        var json = result.Json();
        json.GetProperty("words").Strings().Order().ShouldBe(["a", "and", "the"]);
        json.GetProperty("seed").GetInt64().ShouldBe(0);
        var counter = new WordCounter(["the", "a", "and"]);
        foreach (var side in new[] { "unsteered", "steered" })
        {
            var s = json.GetProperty(side);
            var texts = s.GetProperty("texts").Strings();
            texts.Length.ShouldBe(4);
            s.GetProperty("completions").GetInt32().ShouldBe(4);
            s.GetProperty("mean_count").GetDouble().ShouldBe(texts.Average(t => (double)counter.Count(t)), 1e-12);
            s.GetProperty("fraction_with_any").GetDouble().ShouldBe(texts.Count(t => counter.Count(t) > 0) / 4.0, 1e-12);
        }
    }

    [Fact]
    public void Norms_json_has_a_ratio_per_layer_and_position_and_the_plot_is_written()
    {
        // Arrange
        using var directory = new TempDirectory();

        // Act
        var result = Eval("norms", "--prompt", "I think you're", "--plus", "Anger", "--minus", "Calm", "--center",
            "--plot", directory.File("norms.svg"), "--json");

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        var layers = result.Json().GetProperty("layers").EnumerateArray().ToList();
        layers.Count.ShouldBe(2);
        var positions = Model.Tokenizer.Encode("Anger").Count;                 // the vector's length; the prompt is longer
        layers.ShouldAllBe(l => l.GetProperty("ratios").GetArrayLength() == positions && l.GetProperty("ratios")[0].GetDouble() == 0);
        ReportAssertions.ShouldBeAnSvg(directory.File("norms.svg"));
    }
}
