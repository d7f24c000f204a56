using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Steer.Cli.Commands.Shared;
using Steer.Evaluation;
using Steer.Evaluation.Sharding;
using Steer.Sharding;

namespace Steer.Cli.Commands;

/// <summary>
/// <c>steer eval perplexity [--file NAME=PATH ...] [--topic NAME ...] [--mask N] [--mode overlay|pad|prompting] [steering] [--shard I/N --out DIR] [--json]</c>:
/// token-weighted perplexity of each topic's sentences, unsteered and steered, and their ratio (the post's §5.2);
/// with <c>--corpus FILE</c>, of a corpus's documents binned by topic relevance (<see cref="EvalCorpusPerplexity"/>).
/// </summary>
internal static class EvalPerplexityCommand
{
    /// <summary>What an evaluation's output says besides its numbers; every shard's is the same.</summary>
    internal sealed record Header(string Model, string Mode, int Mask, JsonElement? Steering, string SteeringText);

    public static Command Create(CliContext context)
    {
        var model = new ModelArguments(context);
        var texts = new PerplexityArguments();
        var steering = new SteeringArguments();
        var corpus = new CorpusArguments();
        var sharding = new ShardArguments("sentences (all topics' in order, balanced by length; with --corpus, every Nth document)",
            "with --corpus, the directory for bins.csv, bins.json and ratio-vs-relevance.png.");
        var json = new Option<bool>("--json")
        {
            Description = "Print {\"topics\":[{\"name\":...,\"tokens\":n,\"perplexity_unsteered\":x,\"perplexity_steered\":y,\"ratio\":y/x}]}.",
        };
        var command = new Command("perplexity", "Perplexity of each topic's sentences without and with steering, and the ratio (below 1: steering makes the text more likely).") { json };
        model.AddTo(command);
        texts.AddTo(command);
        corpus.AddTo(command);
        steering.AddTo(command);
        sharding.AddTo(command);
        command.SetAction(parse =>
        {
            if (corpus.Corpus(parse) is { } corpusPath) return RunCorpus(context, parse, model, texts, corpus, steering, sharding, corpusPath, parse.GetValue(json));
            var (shard, directory) = sharding.Parse(parse);
            var allTopics = texts.Topics(parse);
            var topics = shard is null ? allTopics : Topic.ShardOf(allTopics, shard);
            var options = texts.Options(parse);
            using var lm = model.Load(parse, EvalSteering.ModelFallback(steering, parse));
            var choice = EvalSteering.Build(steering, parse, lm);
            using var progress = TokenProgress.ForwardPasses(lm, context);
            using var evaluation = new PerplexityEvaluation(lm, topics, options);
            var results = evaluation.Measure(choice.Vector!, choice.Options);
            progress.Dispose();
            var header = new Header(lm.Name, options.Mode.ToString().ToLowerInvariant(), evaluation.MaskFor(choice.Vector!),
                SteeringJson.Describe(choice) is { } described ? EvalShardFile.ToElement(described) : null, EvalSteering.Describe(choice));
            if (shard is not null || !parse.GetValue(json)) SteeringJson.WriteNotes(context.Error, choice);
            if (shard is null) return Print(context, header, results, parse.GetValue(json));
            var fingerprint = ShardArguments.Fingerprint(lm, choice.Vector, [
                $"perplexity {options with { TokenBudget = 0, ResidualCacheBytes = 0 }} {choice.Options}",
                .. allTopics.Select(t => $"topic {t.Name} {string.Join('\u001e', t.Sentences)}")]);
            var data = results.Select(t => new Dictionary<string, object>
            {
                ["name"] = t.Name,
                ["sentences"] = t.Sentences,
                ["skipped"] = t.Skipped,
                ["tokens"] = t.Sums.Tokens,
                ["sum_unsteered"] = t.Sums.Unsteered,
                ["sum_steered"] = t.Sums.Steered,
                ["sum_difference"] = t.Sums.Difference,
            }).ToList();
            var file = new EvalShardFile("perplexity", shard, fingerprint, EvalShardFile.ToElement(header), EvalShardFile.ToElement(data));
            var path = file.Write(directory!);
            context.Output.WriteLine($"shard {shard}: {topics.Sum(t => t.Sentences.Count)} of {allTopics.Sum(t => t.Sentences.Count)} sentences; wrote {path}");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static int RunCorpus(CliContext context, System.CommandLine.ParseResult parse, ModelArguments model, PerplexityArguments texts, CorpusArguments corpus,
        SteeringArguments steering, ShardArguments sharding, string path, bool asJson)
    {
        if (texts.HasTopics(parse)) throw new SteerException(ErrorKind.InvalidArgument, "give --corpus or topics (--file, --topic), not both");
        var (shard, directory) = sharding.Parse(parse, outAlone: true);
        var inputs = new EvalCorpusPerplexity.Inputs(path, corpus.Counter(parse), corpus.BinWidth(parse), corpus.MinDocuments(parse), texts.Options(parse));
        if (!File.Exists(path)) throw new SteerException(ErrorKind.NotFound, $"{path}: no such corpus file");
        using var lm = model.Load(parse, EvalSteering.ModelFallback(steering, parse));
        var choice = EvalSteering.Build(steering, parse, lm);
        return EvalCorpusPerplexity.Run(context, lm, choice, inputs, shard, directory, asJson);
    }

    /// <summary>Joins the shards' topic sums (<see cref="TopicPerplexity.Combine"/>) and prints what one process prints.</summary>
    internal static int Merge(CliContext context, IReadOnlyList<EvalShardFile> shards, bool asJson)
    {
        var header = shards[0].HeaderAs<Header>();
        var results = TopicPerplexity.Combine(shards.Select(s => (IReadOnlyList<TopicPerplexity>)s.Data.EnumerateArray().Select(t =>
            TopicPerplexity.Of(t.GetProperty("name").GetString()!, t.GetProperty("sentences").GetInt32(), t.GetProperty("skipped").GetInt32(),
                new PerplexitySums(t.GetProperty("tokens").GetInt32(), t.GetProperty("sum_unsteered").GetDouble(), t.GetProperty("sum_steered").GetDouble(),
                    t.GetProperty("sum_difference").GetDouble()))).ToList()).ToList());
        return Print(context, header, results, asJson);
    }

    private static int Print(CliContext context, Header header, IReadOnlyList<TopicPerplexity> results, bool asJson)
    {
        if (asJson)
        {
            Json.Write(context.Output, new
            {
                model = header.Model,
                mode = header.Mode,
                mask = header.Mask,
                steering = header.Steering,
                topics = results.Select(t => new
                {
                    name = t.Name,
                    sentences = t.Sentences,
                    skipped = t.Skipped,
                    tokens = t.Tokens,
                    perplexity_unsteered = t.PerplexityUnsteered,
                    perplexity_steered = t.PerplexitySteered,
                    ratio = t.Ratio,
                }),
            });
            return ExitCodes.Ok;
        }
        context.Output.WriteLine($"steering: {header.SteeringText}");
        context.Output.WriteLine($"mode {header.Mode}, first {header.Mask} predicted positions masked, token-weighted over each topic");
        TextTable.Write(context.Output, ["topic", "sentences", "tokens", "ppl unsteered", "ppl steered", "ratio"],
            results.Select(t => (IReadOnlyList<string>)[t.Name, Count(t.Sentences, t.Skipped), t.Tokens.ToString(CultureInfo.InvariantCulture),
                F(t.PerplexityUnsteered), F(t.PerplexitySteered), t.Ratio.ToString("F4", CultureInfo.InvariantCulture)]), width: context.Width);
        if (results.Count == 2 && results.All(r => double.IsFinite(r.Ratio)))
            context.Output.WriteLine($"ratio {results[0].Name} / {results[1].Name}: {(results[0].Ratio / results[1].Ratio).ToString("F4", CultureInfo.InvariantCulture)}");
        return ExitCodes.Ok;
    }

    private static string Count(int used, int skipped) => skipped == 0 ? used.ToString(CultureInfo.InvariantCulture) : $"{used} ({skipped} skipped)";

    private static string F(double value) => value.ToString("G6", CultureInfo.InvariantCulture);
}
