using System.CommandLine;
using System.Globalization;
using Steer.Cli.Commands.Shared;
using Steer.Evaluation;

namespace Steer.Cli.Commands;

/// <summary>
/// <c>steer eval perplexity [--file NAME=PATH ...] [--topic NAME ...] [--mask N] [--mode overlay|pad|prompting] [steering] [--json]</c>:
/// token-weighted perplexity of each topic's sentences, unsteered and steered, and their ratio (the post's §5.2).
/// </summary>
internal static class EvalPerplexityCommand
{
    public static Command Create(CliContext context)
    {
        var model = new ModelArguments(context);
        var texts = new PerplexityArguments();
        var steering = new SteeringArguments();
        var json = new Option<bool>("--json")
        {
            Description = "Print {\"topics\":[{\"name\":...,\"tokens\":n,\"perplexity_unsteered\":x,\"perplexity_steered\":y,\"ratio\":y/x}]}.",
        };
        var command = new Command("perplexity", "Perplexity of each topic's sentences without and with steering, and the ratio (below 1: steering makes the text more likely).") { json };
        model.AddTo(command);
        texts.AddTo(command);
        steering.AddTo(command);
        command.SetAction(parse =>
        {
            var topics = texts.Topics(parse);
            var options = texts.Options(parse);
            using var lm = model.Load(parse, EvalSteering.ModelFallback(steering, parse));
            var choice = EvalSteering.Build(steering, parse, lm);
            using var progress = TokenProgress.ForwardPasses(lm, context);
            using var evaluation = new PerplexityEvaluation(lm, topics, options);
            var results = evaluation.Measure(choice.Vector!, choice.Options);
            progress.Dispose();
            var mask = evaluation.MaskFor(choice.Vector!);
            var mode = options.Mode.ToString().ToLowerInvariant();
            if (parse.GetValue(json))
            {
                Json.Write(context.Output, new
                {
                    model = lm.Name,
                    mode,
                    mask,
                    steering = SteeringJson.Describe(choice),
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
            SteeringJson.WriteNotes(context.Error, choice);
            context.Output.WriteLine($"steering: {EvalSteering.Describe(choice)}");
            context.Output.WriteLine($"mode {mode}, first {mask} predicted positions masked, token-weighted over each topic");
            TextTable.Write(context.Output, ["topic", "sentences", "tokens", "ppl unsteered", "ppl steered", "ratio"],
                results.Select(t => (IReadOnlyList<string>)[t.Name, Count(t.Sentences, t.Skipped), t.Tokens.ToString(CultureInfo.InvariantCulture),
                    F(t.PerplexityUnsteered), F(t.PerplexitySteered), t.Ratio.ToString("F4", CultureInfo.InvariantCulture)]), width: context.Width);
            if (results.Count == 2 && results.All(r => double.IsFinite(r.Ratio)))
                context.Output.WriteLine($"ratio {results[0].Name} / {results[1].Name}: {(results[0].Ratio / results[1].Ratio).ToString("F4", CultureInfo.InvariantCulture)}");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static string Count(int used, int skipped) => skipped == 0 ? used.ToString(CultureInfo.InvariantCulture) : $"{used} ({skipped} skipped)";

    private static string F(double value) => value.ToString("G6", CultureInfo.InvariantCulture);
}
