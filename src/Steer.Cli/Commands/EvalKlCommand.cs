using System.CommandLine;
using System.Globalization;
using Steer.Cli.Commands.Shared;
using Steer.Evaluation;
using Steer.Evaluation.Reports;

namespace Steer.Cli.Commands;

/// <summary>
/// <c>steer eval kl [--prompt P] [--position i] [--top K] [--plot FILE] [steering] [--json]</c>: how steering shifts the
/// next-token distribution (the post's §5.1): KL(steered‖unsteered), its top contributors, the top tokens by ratio.
/// With <c>--prompts</c>, the post's stress test against a control instead (<see cref="EvalKlStress"/>).
/// </summary>
internal static class EvalKlCommand
{
    /// <summary>The post's example: position 9 (" a") with BOS at 0.</summary>
    public const string DefaultPrompt = "I'm excited because I'm going to a";

    public static Command Create(CliContext context)
    {
        var model = new ModelArguments(context);
        var input = new InputArguments("--prompt", $"The prompt; the BOS token (GPT-2: <|endoftext|>) is prepended, if the tokenizer adds one, unless --no-bos. Default \"{DefaultPrompt}\".", DefaultPrompt);
        var steering = new SteeringArguments();
        var position = NumberOption.OptionalInt("--position", "The position whose next-token distribution is compared (BOS is 0; negative counts from the end). Default: the last.");
        var top = NumberOption.Int("--top", "Tokens per table.", 10);
        var plot = new Option<string?>("--plot")
        {
            Description = "Write the log-log plot of unsteered probability against the ratio (.png or .svg); with --prompts, the scatter of each prompt's steering KL against its control KL.",
        };
        var json = new Option<bool>("--json")
        {
            Description = "Print {\"position\":i,\"kl\":x,\"top_contributors\":[...],\"top_by_ratio\":[...]}; with --prompts, {\"prompts\":[...],\"skipped\":[...],\"summary\":{...}}.",
        };
        var stress = new EvalKlStress();
        var command = new Command("kl", "How steering shifts the next-token distribution: KL(steered||unsteered), its top contributors and the tokens whose probability changes most; " +
            "with --prompts, the post's stress test: KL(unsteered||steered) against KL(unsteered||control) over many prompts.")
        {
            position, top, plot, json,
        };
        model.AddTo(command);
        input.AddTo(command);
        steering.AddTo(command);
        stress.AddTo(command, [.. input.Options, position, top]);
        command.SetAction(parse =>
        {
            if (parse.GetValue(plot) is { } outputPath) OutputPath.Check(outputPath, "--plot");
            if (stress.IsGiven(parse)) return stress.Run(context, parse, model, steering, parse.GetValue(plot), parse.GetValue(json));
            using var lm = model.Load(parse, EvalSteering.ModelFallback(steering, parse));
            var ids = input.Ids(parse, lm.Tokenizer);
            var choice = EvalSteering.Build(steering, parse, lm);
            var (used, shift) = NextTokenShift.Measure(lm, ids, choice.Vector!, choice.Options, parse.GetValue(position), parse.GetValue(top));
            if (parse.GetValue(plot) is { } plotPath)
            {
                var points = shift.TopTokens.Where(t => t.PUnsteered > 0 && t.PSteered > 0).Select(t => (t.PUnsteered, t.Ratio, Display.Quote(t.Text))).ToList();
                Charts.SaveAs(Charts.LogLogScatter($"Next-token shift at position {used}: KL = {shift.Kl:G3} nats",
                    "unsteered probability", "steered / unsteered probability", points), plotPath);
            }
            if (parse.GetValue(json))
            {
                Json.Write(context.Output, new
                {
                    model = lm.Name,
                    prompt_ids = ids,
                    position = used,
                    token = lm.Tokenizer.TokenText(ids[used]),
                    kl = shift.Kl,
                    top_contributors = shift.TopContributors.Select(Describe),
                    top_by_ratio = shift.TopByRatio.Select(Describe),
                    steering = SteeringJson.Describe(choice),
                });
                return ExitCodes.Ok;
            }
            SteeringJson.WriteNotes(context.Error, choice);
            context.Output.WriteLine($"steering: {EvalSteering.Describe(choice)}");
            context.Output.WriteLine($"next token after position {used} ({Display.Quote(lm.Tokenizer.TokenText(ids[used]))}): " +
                $"KL(steered || unsteered) = {shift.Kl.ToString("F4", CultureInfo.InvariantCulture)} nats");
            context.Output.WriteLine();
            context.Output.WriteLine("top contributions to KL");
            Table(context.Output, shift.TopContributors);
            context.Output.WriteLine();
            context.Output.WriteLine("top tokens by probability ratio (among each distribution's top tokens)");
            Table(context.Output, shift.TopByRatio);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static object Describe(TokenShift t) => new
    {
        id = t.Id,
        token = t.Text,
        p_unsteered = t.PUnsteered,
        p_steered = t.PSteered,
        ratio = t.Ratio,
        contribution = t.KlContribution,
    };

    private static void Table(TextWriter output, IReadOnlyList<TokenShift> tokens) =>
        TextTable.Write(output, ["token", "p unsteered", "p steered", "ratio", "contribution (nats)"],
            tokens.Select(t => (IReadOnlyList<string>)[Display.Quote(t.Text), G(t.PUnsteered), G(t.PSteered), G(t.Ratio),
                t.KlContribution.ToString("F4", CultureInfo.InvariantCulture)]));

    private static string G(double value) => value.ToString("G4", CultureInfo.InvariantCulture);
}
