using Steer.Evaluation;
using Steer.Evaluation.Corpus;
using Steer.Steering.Methods;
using Steer.Tests.IO;

namespace Steer.Tests.Cli;

/// <summary>steer eval perplexity --corpus (topic-binned perplexity) and its shards on a formula model.</summary>
public sealed class EvalCorpusSpecs(CliModelFixture fixture) : IClassFixture<CliModelFixture>, IDisposable
{
    private static readonly string[] Steering = ["--plus", " weddings", "--minus", "", "--layer", "1", "--coeff", "3"];
    private readonly TempDirectory _directory = new();

    // With --bin-width 0.1: bin 0 gets three documents, bin 1 one (1/7), bin 4 one (2/5); one document has no words.
    private const string Text = "{\"text\": \"The bride met the groom.\"}\n" +
        "{\"text\": \"Ships carry grain. The sea was calm today.\"}\n" +
        "{\"text\": \"Rice needs water. Bread needs an oven.\"}\n" +
        "{\"text\": \"The wedding was in May. Everyone sang.\"}\n" +
        "{\"text\": \"?!\"}\n" +
        "{\"text\": \"Trains run late. Buses are worse. Walking is best.\"}\n";

    private string CorpusPath => _directory.Write("corpus.jsonl", Text);

    private CliResult Eval(params string[] args) => Cli.Run(["eval", "perplexity", "--model", fixture.Directory, .. args]);

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Json_reports_each_bin_as_the_library_measures_it_and_counts_the_dropped_bins()
    {
        // Arrange
        var expected = CorpusPerplexityEvaluation.Measure(fixture.Model, CorpusReader.FromText("c", Text), new WordCounter(WordCounter.WeddingWords),
            ActAdd.Pair(fixture.Model, " weddings", "", 1, 3), options: new CorpusPerplexityOptions { BinWidth = 0.1 });

        // Act
        var result = Eval([.. Steering, "--corpus", CorpusPath, "--bin-width", "0.1", "--min-docs", "2", "--json"]);

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        var json = result.Json();
        json.GetProperty("documents").GetInt32().ShouldBe(6);
        json.GetProperty("documents_without_words").GetInt32().ShouldBe(1);
        json.GetProperty("dropped_bins").GetInt32().ShouldBe(2);
        json.GetProperty("dropped_documents").GetInt32().ShouldBe(2);
        json.GetProperty("min_docs").GetInt32().ShouldBe(2);
        var bin = json.GetProperty("bins").EnumerateArray().Single();
        (bin.GetProperty("lower").GetDouble(), bin.GetProperty("upper").GetDouble()).ShouldBe((0.0, 0.1));
        bin.GetProperty("documents").GetInt32().ShouldBe(3);
        bin.GetProperty("tokens").GetInt32().ShouldBe(expected.Bins[0].Tokens);
        bin.GetProperty("ratio").GetDouble().ShouldBe(expected.Bins[0].Ratio, 1e-9);
        bin.GetProperty("ratio").GetDouble().ShouldBe(bin.GetProperty("perplexity_steered").GetDouble() / bin.GetProperty("perplexity_unsteered").GetDouble(), 1e-9);
    }

    [Fact]
    public void Coefficient_0_gives_a_ratio_of_exactly_1_in_every_bin()
    {
        // Act
        var result = Eval("--plus", " weddings", "--minus", "", "--layer", "0", "--coeff", "0", "--corpus", CorpusPath, "--bin-width", "0.1", "--min-docs", "1", "--json");

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        var bins = result.Json().GetProperty("bins").EnumerateArray().ToList();
        bins.Count.ShouldBe(3);
        bins.ShouldAllBe(b => b.GetProperty("ratio").GetDouble() == 1.0);
    }

    [Fact]
    public void Out_writes_the_csv_the_json_and_the_plot_and_the_table_fits_80_columns()
    {
        // Arrange
        var output = _directory.File("bins");

        // Act
        var result = Eval([.. Steering, "--corpus", CorpusPath, "--bin-width", "0.1", "--min-docs", "1", "--out", output]);
        var json = Eval([.. Steering, "--corpus", CorpusPath, "--bin-width", "0.1", "--min-docs", "1", "--json"]);

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        result.Output.ShouldContain("0.0-0.1");
        result.Output.ShouldContain("0.4-0.5");
        result.Output.Split('\n').Where(line => !line.Contains(_directory.Path)).ShouldAllBe(line => line.Length <= 80);     // paths are as long as they are
        var csv = File.ReadAllLines(Path.Combine(output, "bins.csv"));
        csv[0].ShouldBe("lower,upper,documents,sentences,skipped,tokens,perplexity_unsteered,perplexity_steered,ratio");
        csv.Length.ShouldBe(4);
        csv[3].ShouldStartWith("0.4,0.5,1,1,0,");
        File.ReadAllText(Path.Combine(output, "bins.json")).ShouldBe(json.Output);
        File.ReadAllBytes(Path.Combine(output, "ratio-vs-relevance.png")).Take(4).ShouldBe(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' });
    }

    [Fact]
    public void Shards_merged_give_the_bins_of_one_run_and_the_merge_writes_the_files()
    {
        // Arrange
        var shardDirectory = _directory.File("shards");
        string[] args = [.. Steering, "--corpus", CorpusPath, "--bin-width", "0.1", "--min-docs", "1"];
        var whole = Eval([.. args, "--json"]);

        // Act
        var shards = Enumerable.Range(0, 2).Select(i => Eval([.. args, "--shard", $"{i}/2", "--out", shardDirectory])).ToList();
        var merged = Cli.Run("eval", "merge", shardDirectory, "--json", "--out", _directory.File("merged"));

        // Assert
        shards.ShouldAllBe(s => s.ExitCode == 0);
        shards[1].Output.ShouldStartWith("shard 1/2: 3 documents");
        merged.ExitCode.ShouldBe(0, merged.Error);
        var expected = whole.Json().GetProperty("bins").EnumerateArray().ToList();
        var actual = merged.Json().GetProperty("bins").EnumerateArray().ToList();
        actual.Count.ShouldBe(expected.Count);
        foreach (var (e, a) in expected.Zip(actual))
        {
            foreach (var count in new[] { "documents", "sentences", "tokens" }) a.GetProperty(count).GetInt32().ShouldBe(e.GetProperty(count).GetInt32());
            a.GetProperty("ratio").GetDouble().ShouldBe(e.GetProperty("ratio").GetDouble(), 1e-6);
        }
        File.Exists(Path.Combine(_directory.File("merged"), "bins.csv")).ShouldBeTrue();
    }

    [Fact]
    public void A_malformed_line_fails_with_its_line_number_as_an_invalid_file()
    {
        // Arrange
        var path = _directory.Write("bad.jsonl", "{\"text\": \"The bride.\"}\n{\"text\": \"Ships.\"\n");

        // Act
        var result = Eval([.. Steering, "--corpus", path]);

        // Assert
        result.ShouldFailWith(4, "bad.jsonl line 2 is not valid JSON");
    }

    [Theory]
    [InlineData(3, "no such corpus file", "--corpus", "/nonexistent/c.jsonl")]
    [InlineData(2, "--words, --bin-width and --min-docs go with --corpus", "--words", "ship")]
    [InlineData(2, "go with --corpus", "--min-docs", "3")]
    [InlineData(2, "give --corpus or topics", "--corpus", "CORPUS", "--topic", "cooking")]
    [InlineData(2, "the bin width must be above 0", "--corpus", "CORPUS", "--bin-width", "0")]
    [InlineData(2, "--min-docs must be at least 1", "--corpus", "CORPUS", "--min-docs", "0")]
    [InlineData(2, "can never match", "--corpus", "CORPUS", "--words", "ship-yard")]
    [InlineData(2, "--out is where --shard writes", "--out", "DIR")]
    public void Bad_corpus_options_fail_with_a_message(int exitCode, string message, params string[] args)
    {
        // Arrange
        var resolved = args.Select(a => a switch { "CORPUS" => CorpusPath, "DIR" => _directory.File("out"), _ => a }).ToArray();

        // Act
        var result = Eval([.. Steering, .. resolved]);

        // Assert
        result.ShouldFailWith(exitCode, message);
    }
}
