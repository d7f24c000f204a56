using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Steer.Cli.Commands.Shared;
using Steer.Evaluation;
using Steer.Evaluation.Sharding;

namespace Steer.Cli.Commands;

/// <summary>
/// <c>steer eval wordcount [--words w1,w2,...] [-n N] [--prompt P] [sampling flags] [steering] [--shard I/N --out DIR] [--json]</c>:
/// N unsteered and N steered completions, the mean count of the words and the share of completions with at least one (the paper's metric).
/// </summary>
internal static class EvalWordCountCommand
{
    /// <summary>What the output says besides the completions; every shard's is the same.</summary>
    internal sealed record Header(string Model, int[] PromptIds, string[] Words, long Seed, JsonElement? Steering, string SteeringText);

    public static Command Create(CliContext context)
    {
        var model = new ModelArguments(context);
        var words = new WordCountArguments(defaultCount: 20);
        var steering = new SteeringArguments();
        var sharding = new ShardArguments("completions (completion i keeps its seed in every split)");
        var show = ShowOption();
        var json = new Option<bool>("--json") { Description = "Print {\"unsteered\":{\"mean_count\":x,\"fraction_with_any\":f,\"completions\":[...]},\"steered\":{...}}." };
        var command = new Command("wordcount", "Count topic words in N unsteered and N steered completions (both sides from the same seeds).") { show, json };
        model.AddTo(command);
        words.AddTo(command);
        steering.AddTo(command);
        sharding.AddTo(command);
        command.SetAction(parse =>
        {
            var (shard, directory) = sharding.Parse(parse);
            using var lm = model.Load(parse, EvalSteering.ModelFallback(steering, parse));
            var choice = EvalSteering.Build(steering, parse, lm);
            using var progress = TokenProgress.ForwardPasses(lm, context);
            var ids = words.Input.Ids(parse, lm.Tokenizer);
            var options = words.Sampling.Options(parse);
            var (first, count) = shard?.Range(Enumerable.Repeat(1.0, options.Count).ToList()) ?? (0, options.Count);
            var evaluation = new WordCountEvaluation(lm, ids, options with { FirstCompletion = first, Count = Math.Max(count, 1) }, words.Counter(parse));
            var (unsteered, steered) = count == 0 ? ([], [])
                : (evaluation.Baseline().Completions, evaluation.Measure(choice.Vector!, choice.Options).Completions);
            progress.Dispose();
            var header = new Header(lm.Name, [.. ids], [.. evaluation.Counter.Targets], evaluation.Seed,
                SteeringJson.Describe(choice) is { } described ? EvalShardFile.ToElement(described) : null, EvalSteering.Describe(choice));
            if (shard is not null || !parse.GetValue(json)) SteeringJson.WriteNotes(context.Error, choice);
            if (shard is null) return Print(context, header, unsteered, steered, parse.GetValue(show), parse.GetValue(json));
            var fingerprint = ShardArguments.Fingerprint(lm, choice.Vector, [$"wordcount {options with { Seed = evaluation.Seed }} {choice.Options}",
                $"prompt {string.Join(',', ids)}", $"words {string.Join(',', evaluation.Counter.Targets)}"]);
            var data = new Dictionary<string, object> { ["first"] = first, ["unsteered"] = unsteered, ["steered"] = steered };
            var path = new EvalShardFile("wordcount", shard, fingerprint, EvalShardFile.ToElement(header), EvalShardFile.ToElement(data)).Write(directory!);
            context.Output.WriteLine($"shard {shard}: completions {first}..{first + count - 1} of {options.Count}; wrote {path}");
            return ExitCodes.Ok;
        });
        return command;
    }

    internal static Option<int> ShowOption() => NumberOption.Int("--show", "Print this many completions of each side.", 0);

    /// <summary>Joins the shards' completions in order and prints what one process prints.</summary>
    internal static int Merge(CliContext context, IReadOnlyList<EvalShardFile> shards, int show, bool asJson)
    {
        var header = shards[0].HeaderAs<Header>();
        List<string> Side(string name) => shards.SelectMany(s => s.Data.GetProperty(name).EnumerateArray().Select(t => t.GetString()!)).ToList();
        return Print(context, header, Side("unsteered"), Side("steered"), show, asJson);
    }

    private static int Print(CliContext context, Header header, IReadOnlyList<string> unsteeredTexts, IReadOnlyList<string> steeredTexts, int show, bool asJson)
    {
        var counter = new WordCounter(header.Words);
        var unsteered = new WordCountSide(WordCountSummary.Of(counter, unsteeredTexts), unsteeredTexts);
        var steered = new WordCountSide(WordCountSummary.Of(counter, steeredTexts), steeredTexts);
        if (asJson)
        {
            Json.Write(context.Output, new
            {
                model = header.Model,
                prompt_ids = header.PromptIds,
                words = header.Words,
                seed = header.Seed,
                unsteered = Describe(unsteered),
                steered = Describe(steered),
                steering = header.Steering,
            });
            return ExitCodes.Ok;
        }
        context.Output.WriteLine($"steering: {header.SteeringText}");
        context.Output.WriteLine($"words: {string.Join(", ", header.Words)}; seed {header.Seed}");
        TextTable.Write(context.Output, ["", "completions", "mean count", "with >= 1"],
        [
            ["unsteered", .. Cells(unsteered.Summary)],
            ["steered", .. Cells(steered.Summary)],
        ], width: context.Width);
        foreach (var (name, side) in new[] { ("unsteered", unsteered), ("steered", steered) })
            foreach (var text in side.Completions.Take(show))
                context.Output.WriteLine($"{name}: {text.ReplaceLineEndings(" ")}");
        return ExitCodes.Ok;
    }

    private static object Describe(WordCountSide side) => new
    {
        completions = side.Summary.Completions,
        mean_count = side.Summary.MeanCount,
        fraction_with_any = side.Summary.FractionWithAny,
        texts = side.Completions,
    };

    private static string[] Cells(WordCountSummary s) =>
        [s.Completions.ToString(CultureInfo.InvariantCulture), s.MeanCount.ToString("F3", CultureInfo.InvariantCulture), s.FractionWithAny.ToString("P0", CultureInfo.InvariantCulture)];
}
