using System.CommandLine;
using System.Globalization;
using Steer.Cli.Commands.Shared;
using Steer.Cli.Parsing;
using Steer.Evaluation;

namespace Steer.Cli.Commands;

/// <summary>
/// <c>steer eval effect [--prompt P] --aligned W,W|--aligned-ids I,I [--at-position N|--all-positions] [steering] [--json]</c>:
/// the original library's effectiveness (log P(aligned) steered − unsteered) and disruption (within-set KL) at each position.
/// </summary>
internal static class EvalEffectCommand
{
    public static Command Create(CliContext context)
    {
        var model = new ModelArguments(context);
        var input = new InputArguments("--prompt", $"The prompt; the BOS token (GPT-2: <|endoftext|>) is prepended, if the tokenizer adds one, unless --no-bos. Default \"{EvalKlCommand.DefaultPrompt}\".", EvalKlCommand.DefaultPrompt);
        var aligned = new AlignedArguments();
        var steering = new SteeringArguments();
        var atPosition = NumberOption.OptionalInt("--at-position", "Report only the distribution after this position (BOS is 0; negative counts from the end). Default: every position.");
        var json = new Option<bool>("--json") { Description = "Print {\"positions\":[{\"position\":i,\"token\":...,\"effectiveness\":x,\"disruption\":y,\"masked\":b}],\"mean_effectiveness\":x,\"mean_disruption\":y}." };
        var command = new Command("effect", "Effectiveness (log P of the aligned tokens, steered minus unsteered) and disruption (KL within the aligned and the other tokens) of the next-token distribution at each position.")
        {
            atPosition, json,
        };
        model.AddTo(command);
        input.AddTo(command);
        aligned.AddTo(command, required: true);
        steering.AddTo(command);
        CommandChecks.Add(command, result =>
        {
            if (result.GetValue(atPosition) is not null && result.GetValue(aligned.AllPositionsOption))
                result.AddError("give only one of --at-position or --all-positions");
        });
        command.SetAction(parse =>
        {
            using var lm = model.Load(parse, EvalSteering.ModelFallback(steering, parse));
            var ids = input.Ids(parse, lm.Tokenizer);
            var set = aligned.Tokens(parse, lm, "eval effect");
            var choice = EvalSteering.Build(steering, parse, lm);
            var result = SteeringEffect.Measure(lm, ids, choice.Vector!, set, choice.Options,
                new SteeringEffectOptions(parse.GetValue(atPosition), aligned.AllPositions(parse)));
            if (parse.GetValue(json))
            {
                Json.Write(context.Output, new
                {
                    model = lm.Name,
                    prompt_ids = ids,
                    aligned = set.Ids.Select(id => new { id, token = lm.Tokenizer.TokenText(id) }),
                    vector_rows = result.VectorRows,
                    positions = result.Positions.Select(p => new
                    {
                        position = p.Position,
                        id = p.Id,
                        token = p.Text,
                        logp_aligned_unsteered = p.Values.LogPAlignedUnsteered,
                        logp_aligned_steered = p.Values.LogPAlignedSteered,
                        effectiveness = p.Values.Effectiveness,
                        disruption = p.Values.Disruption,
                        masked = p.Masked,
                    }),
                    unmasked = result.Unmasked,
                    mean_effectiveness = result.MeanEffectiveness,
                    mean_disruption = result.MeanDisruption,
                    steering = SteeringJson.Describe(choice),
                });
                return ExitCodes.Ok;
            }
            SteeringJson.WriteNotes(context.Error, choice);
            context.Output.WriteLine($"steering: {EvalSteering.Describe(choice)}");
            context.Output.WriteLine($"aligned tokens: {AlignedArguments.Describe(set, lm)}");
            context.Output.WriteLine("in nats: effectiveness = change in log P(aligned), disruption = within-set KL");
            context.Output.WriteLine();
            TextTable.Write(context.Output, ["pos", "token", "effectiveness", "disruption", "masked"],
                result.Positions.Select(p => (IReadOnlyList<string>)[p.Position.ToString(CultureInfo.InvariantCulture), Display.Quote(p.Text),
                    G(p.Values.Effectiveness), G(p.Values.Disruption), p.Masked ? "yes" : ""]), textColumns: 2, width: context.Width);
            context.Output.WriteLine();
            context.Output.WriteLine(result.MeanEffectiveness is { } effectiveness && result.MeanDisruption is { } disruption
                ? $"mean over {result.Unmasked} unmasked position{(result.Unmasked == 1 ? "" : "s")}: effectiveness {G(effectiveness)}, disruption {G(disruption)}"
                : $"no mean: every position shown is masked (the vector spans {result.VectorRows}); --all-positions counts them");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static string G(double value) => value.ToString("G5", CultureInfo.InvariantCulture);
}
