using System.CommandLine;
using System.Globalization;
using Steer.Cli.Commands.Shared;
using Steer.Evaluation;

namespace Steer.Cli.Commands;

/// <summary>
/// <c>steer eval wordcount [--words w1,w2,...] [-n N] [--prompt P] [sampling flags] [steering] [--json]</c>: N unsteered and N
/// steered completions, the mean count of the words and the share of completions with at least one (the paper's metric).
/// </summary>
internal static class EvalWordCountCommand
{
    public static Command Create(CliContext context)
    {
        var model = new ModelArguments(context);
        var words = new WordCountArguments(defaultCount: 20);
        var steering = new SteeringArguments();
        var show = NumberOption.Int("--show", "Print this many completions of each side.", 0);
        var json = new Option<bool>("--json") { Description = "Print {\"unsteered\":{\"mean_count\":x,\"fraction_with_any\":f,\"completions\":[...]},\"steered\":{...}}." };
        var command = new Command("wordcount", "Count topic words in N unsteered and N steered completions (both sides from the same seeds).") { show, json };
        model.AddTo(command);
        words.AddTo(command);
        steering.AddTo(command);
        command.SetAction(parse =>
        {
            using var lm = model.Load(parse, EvalSteering.ModelFallback(steering, parse));
            var choice = EvalSteering.Build(steering, parse, lm);
            using var progress = TokenProgress.ForwardPasses(lm, context);
            var evaluation = words.Evaluation(parse, lm);
            var unsteered = evaluation.Baseline();
            var steered = evaluation.Measure(choice.Vector!, choice.Options);
            progress.Dispose();
            if (parse.GetValue(json))
            {
                Json.Write(context.Output, new
                {
                    model = lm.Name,
                    prompt_ids = words.Input.Ids(parse, lm.Tokenizer),
                    words = evaluation.Counter.Targets,
                    seed = evaluation.Seed,
                    unsteered = Describe(unsteered),
                    steered = Describe(steered),
                    steering = SteeringJson.Describe(choice),
                });
                return ExitCodes.Ok;
            }
            SteeringJson.WriteNotes(context.Error, choice);
            context.Output.WriteLine($"steering: {EvalSteering.Describe(choice)}");
            context.Output.WriteLine($"words: {string.Join(", ", evaluation.Counter.Targets)}; seed {evaluation.Seed}");
            TextTable.Write(context.Output, ["", "completions", "mean count", "with >= 1"],
            [
                ["unsteered", .. Cells(unsteered.Summary)],
                ["steered", .. Cells(steered.Summary)],
            ], width: context.Width);
            var count = parse.GetValue(show);
            foreach (var (name, side) in new[] { ("unsteered", unsteered), ("steered", steered) })
                foreach (var text in side.Completions.Take(count))
                    context.Output.WriteLine($"{name}: {text.ReplaceLineEndings(" ")}");
            return ExitCodes.Ok;
        });
        return command;
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
