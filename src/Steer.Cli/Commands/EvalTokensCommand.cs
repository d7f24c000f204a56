using System.CommandLine;
using System.Globalization;
using Steer.Cli.Commands.Shared;
using Steer.Evaluation;
using Steer.Evaluation.Reports;

namespace Steer.Cli.Commands;

/// <summary>
/// <c>steer eval tokens --text T [--mask N] [--html FILE] [steering] [--json]</c>: each token's log-probability change
/// under steering, coloured in the terminal and written as an HTML page (the post's token-level view).
/// </summary>
internal static class EvalTokensCommand
{
    private const string Reset = "\u001b[0m";

    public static Command Create(CliContext context)
    {
        var model = new ModelArguments(context);
        var input = new InputArguments("--text", "The text; the BOS token (GPT-2: <|endoftext|>) is prepended, if the tokenizer adds one, unless --no-bos.");
        var steering = new SteeringArguments();
        var mask = NumberOption.OptionalInt("--mask", "Mark predictions from the first N positions as masked (default: the vector's length).");
        var html = new Option<string?>("--html") { Description = "Also write the coloured text and a table as a self-contained HTML page." };
        var json = new Option<bool>("--json") { Description = "Print {\"tokens\":[{\"position\":k,\"token\":...,\"logp_unsteered\":x,\"logp_steered\":y,\"difference\":y-x,\"masked\":b}]}." };
        var command = new Command("tokens", "Per-token log-probability change under steering, coloured (green: more likely, red: less).") { mask, html, json };
        model.AddTo(command);
        input.AddTo(command);
        steering.AddTo(command);
        command.SetAction(parse =>
        {
            if (parse.GetValue(html) is { } outputPath) OutputPath.Check(outputPath, "--html");
            using var lm = model.Load(parse, EvalSteering.ModelFallback(steering, parse));
            var ids = input.Ids(parse, lm.Tokenizer);
            if (ids.Count < 2) throw new SteerException(ErrorKind.InvalidArgument, "the text needs at least two tokens (the first one is only context)");
            var choice = EvalSteering.Build(steering, parse, lm);
            var tokens = TokenDifferences.Measure(lm, ids, choice.Vector!, choice.Options, parse.GetValue(mask));
            if (parse.GetValue(html) is { } htmlPath)
                TokenView.Html("Per-token log-probability change under steering", EvalSteering.Describe(choice), tokens).Save(htmlPath);
            if (parse.GetValue(json))
            {
                Json.Write(context.Output, new
                {
                    model = lm.Name,
                    ids,
                    tokens = tokens.Select(t => new
                    {
                        position = t.Position,
                        id = t.Id,
                        token = t.Text,
                        logp_unsteered = t.LogpUnsteered,
                        logp_steered = t.LogpSteered,
                        difference = t.Difference,
                        masked = t.Masked,
                    }),
                    steering = SteeringJson.Describe(choice),
                });
                return ExitCodes.Ok;
            }
            SteeringJson.WriteNotes(context.Error, choice);
            context.Output.WriteLine($"steering: {EvalSteering.Describe(choice)}");
            if (context.Color) WriteColoured(context.Output, lm.Tokenizer.TokenText(ids[0]), tokens);
            TextTable.Write(context.Output, ["pos", "token", "logp unsteered", "logp steered", "difference"],
                tokens.Select(t => (IReadOnlyList<string>)[t.Position.ToString(CultureInfo.InvariantCulture),
                    Display.Quote(t.Text) + (t.Masked ? " (masked)" : ""), F(t.LogpUnsteered), F(t.LogpSteered), F(t.Difference)]), textColumns: 2, width: context.Width);
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>The text on one line, each token on a 24-bit background: green more likely, red less, grey masked.</summary>
    private static void WriteColoured(TextWriter output, string first, IReadOnlyList<TokenDifference> tokens)
    {
        var scale = TokenView.Scale(tokens);
        output.Write(first);
        foreach (var token in tokens)
        {
            var strength = TokenView.Intensity(token, scale);
            var (r, g, b) = token.Masked ? (200, 200, 200)
                : token.Difference >= 0 ? (Mix(44, strength), Mix(160, strength), Mix(44, strength)) : (Mix(214, strength), Mix(39, strength), Mix(40, strength));
            output.Write($"\u001b[48;2;{r};{g};{b}m\u001b[38;2;0;0;0m{token.Text.Replace("\n", "\\n")}{Reset}");
        }
        output.WriteLine();
        output.WriteLine();
    }

    /// <summary>A colour channel blended from white towards <paramref name="channel"/> by <paramref name="strength"/>.</summary>
    private static int Mix(int channel, double strength) => (int)Math.Round(255 - (255 - channel) * strength);

    private static string F(double value) => value.ToString("F4", CultureInfo.InvariantCulture);
}
