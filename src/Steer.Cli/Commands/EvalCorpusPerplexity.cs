using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Steer.Cli.Commands.Shared;
using Steer.Evaluation;
using Steer.Evaluation.Corpus;
using Steer.Evaluation.Reports;
using Steer.Evaluation.Sharding;
using Steer.Sharding;

namespace Steer.Cli.Commands;

/// <summary>
/// <c>steer eval perplexity --corpus FILE [--words ...] [--bin-width W] [--min-docs N] [--out DIR]</c>: the paper's
/// OpenWebText check, the perplexity ratio of a corpus's documents binned by their share of topic words.
/// </summary>
internal static class EvalCorpusPerplexity
{
    public const string Metric = "perplexity-corpus";

    /// <summary>What the output says besides the bins; every shard's is the same.</summary>
    internal sealed record Header(string Model, string Corpus, string Mode, int Mask, string[] Words, double BinWidth, int MinDocuments,
        JsonElement? Steering, string SteeringText);

    internal sealed record Inputs(string Corpus, WordCounter Counter, double BinWidth, int MinDocuments, PerplexityOptions Options);

    public static int Run(CliContext context, LanguageModel model, SteeringChoice choice, Inputs inputs, Shard? shard, string? directory, bool asJson)
    {
        var reader = CorpusReader.FromFile(inputs.Corpus);
        var options = new CorpusPerplexityOptions { BinWidth = inputs.BinWidth, Perplexity = inputs.Options, Shard = shard ?? Shard.Whole };
        CorpusPerplexity result;
        using (var progress = new CorpusProgressLine(context.Error, context.ErrorIsTerminal))
            result = CorpusPerplexityEvaluation.Measure(model, reader, inputs.Counter, choice.Vector!, choice.Options, options, progress);
        var header = new Header(model.Name, inputs.Corpus, inputs.Options.Mode.ToString().ToLowerInvariant(), inputs.Options.Mask ?? choice.Vector!.Positions,
            [.. inputs.Counter.Targets.Order(StringComparer.Ordinal)], inputs.BinWidth, inputs.MinDocuments,
            SteeringJson.Describe(choice) is { } described ? EvalShardFile.ToElement(described) : null, EvalSteering.Describe(choice));
        if (shard is not null || !asJson) SteeringJson.WriteNotes(context.Error, choice);
        if (shard is null) return Print(context, header, result, asJson, directory);

        var fingerprint = ShardArguments.Fingerprint(model, choice.Vector, [
            $"{Metric} {inputs.Options with { TokenBudget = 0, ResidualCacheBytes = 0 }} {choice.Options}",
            $"words {string.Join(',', header.Words)} width {inputs.BinWidth.ToString("R", CultureInfo.InvariantCulture)} min {inputs.MinDocuments}",
            $"corpus {Hash(inputs.Corpus)}"]);
        var data = new Dictionary<string, object>
        {
            ["documents"] = result.Documents,
            ["without_words"] = result.WithoutWords,
            ["bins"] = result.Bins.Select(b => new Dictionary<string, object>
            {
                ["index"] = b.Index,
                ["documents"] = b.Documents,
                ["sentences"] = b.Sentences,
                ["skipped"] = b.Skipped,
                ["tokens"] = b.Sums.Tokens,
                ["sum_unsteered"] = b.Sums.Unsteered,
                ["sum_steered"] = b.Sums.Steered,
                ["sum_difference"] = b.Sums.Difference,
            }).ToList(),
        };
        var path = new EvalShardFile(Metric, shard, fingerprint, EvalShardFile.ToElement(header), EvalShardFile.ToElement(data)).Write(directory!);
        context.Output.WriteLine($"shard {shard}: {result.Documents} documents (document n goes to shard n mod {shard.Count}); wrote {path}");
        return ExitCodes.Ok;
    }

    /// <summary>Adds up the shards' bins (<see cref="CorpusPerplexity.Combine"/>) and prints (and writes) what one process does.</summary>
    internal static int Merge(CliContext context, IReadOnlyList<EvalShardFile> shards, bool asJson, string? directory)
    {
        var header = shards[0].HeaderAs<Header>();
        var bins = new RelevanceBins(header.BinWidth);
        var result = CorpusPerplexity.Combine(shards.Select(s => new CorpusPerplexity(header.BinWidth, s.Data.GetProperty("documents").GetInt32(),
            s.Data.GetProperty("without_words").GetInt32(), s.Data.GetProperty("bins").EnumerateArray().Select(b =>
            {
                var index = b.GetProperty("index").GetInt32();
                return new CorpusBin(index, bins.Lower(index), bins.Upper(index), b.GetProperty("documents").GetInt32(), b.GetProperty("sentences").GetInt32(),
                    b.GetProperty("skipped").GetInt32(), new PerplexitySums(b.GetProperty("tokens").GetInt32(), b.GetProperty("sum_unsteered").GetDouble(),
                        b.GetProperty("sum_steered").GetDouble(), b.GetProperty("sum_difference").GetDouble()));
            }).ToList())).ToList());
        return Print(context, header, result, asJson, directory);
    }

    private static int Print(CliContext context, Header header, CorpusPerplexity result, bool asJson, string? directory)
    {
        var (kept, droppedBins, droppedDocuments) = result.WithMinDocuments(header.MinDocuments);
        if (directory is not null) WriteFiles(directory, header, result, kept, droppedBins, droppedDocuments);
        if (asJson)
        {
            Json.Write(context.Output, Describe(header, result, kept, droppedBins, droppedDocuments));
            return ExitCodes.Ok;
        }
        var decimals = Decimals(header.BinWidth);
        context.Output.WriteLine($"steering: {header.SteeringText}");
        context.Output.WriteLine($"corpus {header.Corpus}: {result.Documents} documents" + (result.WithoutWords > 0 ? $" ({result.WithoutWords} without words)" : ""));
        foreach (var line in Wrap($"topic words: {string.Join(", ", header.Words)}", context.Width ?? 80)) context.Output.WriteLine(line);
        context.Output.WriteLine($"relevance = topic words / words, in bins {F(header.BinWidth, decimals)} wide");
        context.Output.WriteLine($"mode {header.Mode}, first {header.Mask} predicted positions masked, token-weighted over each bin");
        TextTable.Write(context.Output, ["relevance", "docs", "sentences", "tokens", "ppl unsteered", "ppl steered", "ratio"],
            kept.Select(b => (IReadOnlyList<string>)[$"{F(b.Lower, decimals)}-{F(b.Upper, decimals)}", I(b.Documents), I(b.Sentences), I(b.Tokens),
                G(b.PerplexityUnsteered), G(b.PerplexitySteered), b.Ratio.ToString("F4", CultureInfo.InvariantCulture)]), width: context.Width);
        if (droppedBins > 0)
            context.Output.WriteLine($"dropped {droppedBins} bin(s) with fewer than {header.MinDocuments} documents ({droppedDocuments} documents)");
        if (directory is not null) context.Output.WriteLine($"wrote {Path.Combine(directory, "bins.csv")}, bins.json and {PlotName}");
        return ExitCodes.Ok;
    }

    private const string PlotName = "ratio-vs-relevance.png";

    private static object Describe(Header header, CorpusPerplexity result, IReadOnlyList<CorpusBin> kept, int droppedBins, int droppedDocuments) => new
    {
        model = header.Model,
        corpus = header.Corpus,
        mode = header.Mode,
        mask = header.Mask,
        words = header.Words,
        bin_width = header.BinWidth,
        min_docs = header.MinDocuments,
        documents = result.Documents,
        documents_without_words = result.WithoutWords,
        dropped_bins = droppedBins,
        dropped_documents = droppedDocuments,
        bins = kept.Select(b => new
        {
            lower = b.Lower,
            upper = b.Upper,
            documents = b.Documents,
            sentences = b.Sentences,
            skipped = b.Skipped,
            tokens = b.Tokens,
            perplexity_unsteered = b.PerplexityUnsteered,
            perplexity_steered = b.PerplexitySteered,
            ratio = b.Ratio,
        }),
        steering = header.Steering,
    };

    private static void WriteFiles(string directory, Header header, CorpusPerplexity result, IReadOnlyList<CorpusBin> kept, int droppedBins, int droppedDocuments)
    {
        Directory.CreateDirectory(directory);
        var csv = new List<string> { "lower,upper,documents,sentences,skipped,tokens,perplexity_unsteered,perplexity_steered,ratio" };
        csv.AddRange(kept.Select(b => string.Join(',', R(b.Lower), R(b.Upper), I(b.Documents), I(b.Sentences), I(b.Skipped), I(b.Tokens),
            R(b.PerplexityUnsteered), R(b.PerplexitySteered), R(b.Ratio))));
        File.WriteAllLines(Path.Combine(directory, "bins.csv"), csv);
        using (var json = new StringWriter())
        {
            Json.Write(json, Describe(header, result, kept, droppedBins, droppedDocuments));
            File.WriteAllText(Path.Combine(directory, "bins.json"), json.ToString());
        }
        var mids = kept.Select(b => (b.Lower + b.Upper) / 2).ToList();
        var plot = Charts.Lines($"Perplexity ratio by relevance ({kept.Sum(b => b.Documents)} documents)", "relevance (share of topic words, bin middle)",
            "perplexity steered / unsteered", [new ChartSeries("steered / unsteered", mids, kept.Select(b => b.Ratio).ToList())],
            [new ChartBaseline("unsteered (ratio 1)", 1)]);
        Charts.SaveAs(plot, Path.Combine(directory, PlotName));
    }

    /// <summary>A long line broken at spaces, the continuation lines indented.</summary>
    private static IEnumerable<string> Wrap(string text, int width)
    {
        var line = "";
        foreach (var word in text.Split(' '))
        {
            if (line.Length > 0 && line.Length + 1 + word.Length > width)
            {
                yield return line;
                line = "  " + word;
            }
            else line = line.Length == 0 ? word : line + " " + word;
        }
        yield return line;
    }

    /// <summary>SHA-256 of the corpus file, read as a stream, so that shards of different corpora are told apart.</summary>
    private static string Hash(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>The decimals a bin edge needs: 3 for 0.005, 4 for 0.0025.</summary>
    private static int Decimals(double width)
    {
        var value = (decimal)width;
        var decimals = 0;
        while (value != decimal.Truncate(value) && decimals < 10)
        {
            value *= 10;
            decimals++;
        }
        return decimals;
    }

    private static string F(double value, int decimals) => value.ToString("F" + decimals, CultureInfo.InvariantCulture);

    private static string G(double value) => value.ToString("G6", CultureInfo.InvariantCulture);

    private static string R(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static string I(int value) => value.ToString(CultureInfo.InvariantCulture);
}
