using System.CommandLine;
using System.Globalization;
using Steer.Cli.Commands.Shared;
using Steer.Evaluation.Cloze;
using Steer.Evaluation.Reports;

namespace Steer.Cli.Commands;

/// <summary>
/// <c>steer eval cloze [--file FILE.jsonl] [--k 1,2,5,...] [--plot FILE] [steering] [--json]</c>: the paper's fact check
/// (ConceptNet/LAMA): mean P@K of the hidden word after each sentence's prompt, unsteered and steered.
/// </summary>
internal static class EvalClozeCommand
{
    public static Command Create(CliContext context)
    {
        var model = new ModelArguments(context);
        var steering = new SteeringArguments();
        var file = new Option<string?>("--file")
        {
            Description = "LAMA-style JSONL: {\"masked_sentence\": \"... [MASK] ...\", \"obj_label\": \"word\"} per line (or LAMA's \"masked_sentences\" list). " +
                "Default: about fifty facts shipped with Steer.",
        };
        var ks = new Option<string>("--k")
        {
            Description = "The Ks of P@K, comma-separated (P@K = 1 when fewer than K tokens get a larger logit than the target).",
            DefaultValueFactory = _ => string.Join(',', ClozeEvaluation.DefaultKs),
        };
        var plot = new Option<string?>("--plot") { Description = "Write P@K against K, unsteered and steered (.png or .svg)." };
        var json = new Option<bool>("--json") { Description = "Print {\"accuracy\":[{\"k\":K,\"unsteered\":p,\"steered\":q}],\"items\":[...],\"dropped\":[...]}." };
        var command = new Command("cloze", "Fact recall with and without steering: P@K of the word hidden by [MASK] after the text before it (the paper's LAMA check).")
        {
            file, ks, plot, json,
        };
        model.AddTo(command);
        steering.AddTo(command);
        command.SetAction(parse =>
        {
            var kList = ClozeEvaluation.CheckKs(ParseKs(parse.GetValue(ks)!));
            if (parse.GetValue(plot) is { } plotPath)
            {
                OutputPath.Check(plotPath, "--plot");
                if (Path.GetExtension(plotPath).ToLowerInvariant() is not (".png" or ".svg"))
                    throw new SteerException(ErrorKind.InvalidArgument, $"--plot '{plotPath}': a plot is written as .png or .svg");
            }
            var path = parse.GetValue(file);
            var items = path is null ? ClozeFile.BuiltIn() : ClozeFile.Read(path);
            using var lm = model.Load(parse, EvalSteering.ModelFallback(steering, parse));
            var choice = EvalSteering.Build(steering, parse, lm);
            using var progress = TokenProgress.ForwardPasses(lm, context);
            var result = ClozeEvaluation.Measure(lm, items, choice.Vector!, choice.Options, kList);
            progress.Dispose();
            if (parse.GetValue(plot) is { } outputPath) Charts.SaveAs(Plot(result), outputPath);
            if (parse.GetValue(json))
            {
                Json.Write(context.Output, new
                {
                    model = lm.Name,
                    file = path,
                    items_read = items.Count,
                    kept = result.Kept.Count,
                    accuracy = result.Accuracy.Select(a => new { k = a.K, unsteered = a.Unsteered, steered = a.Steered }),
                    items = result.Kept.Select(r => new
                    {
                        line = r.Item.Line,
                        prompt = r.Item.Prompt,
                        target = r.Item.Target,
                        target_id = r.TargetId,
                        rank_unsteered = r.RankUnsteered,
                        rank_steered = r.RankSteered,
                    }),
                    dropped = result.Dropped.Select(d => new { line = d.Item.Line, target = d.Item.Target, reason = System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(d.Reason.ToString()) }),
                    steering = SteeringJson.Describe(choice),
                });
                return ExitCodes.Ok;
            }
            SteeringJson.WriteNotes(context.Error, choice);
            context.Output.WriteLine($"steering: {EvalSteering.Describe(choice)}");
            context.Output.WriteLine($"{path ?? ClozeFile.BuiltInName}: {result.Kept.Count} of {items.Count} items kept{Drops(result.Dropped)}");
            TextTable.Write(context.Output, ["K", "P@K unsteered", "P@K steered"],
                result.Accuracy.Select(a => (IReadOnlyList<string>)[a.K.ToString(CultureInfo.InvariantCulture), F(a.Unsteered), F(a.Steered)]), width: context.Width);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static List<int> ParseKs(string text) => text.Split(',', StringSplitOptions.TrimEntries).Select(part =>
        int.TryParse(part, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var k) ? k
            : throw new SteerException(ErrorKind.InvalidArgument, $"--k '{text}': expected whole numbers separated by commas, e.g. 1,5,10")).ToList();

    private static ScottPlot.Plot Plot(ClozeResult result)
    {
        var ks = result.Accuracy.Select(a => (double)a.K).ToList();
        var plot = Charts.Lines($"Cloze accuracy on {result.Kept.Count} items", "K (log scale)", "P@K",
            [new ChartSeries("unsteered", ks, result.Accuracy.Select(a => a.Unsteered).ToList()),
             new ChartSeries("steered", ks, result.Accuracy.Select(a => a.Steered).ToList())], [], logX: true);
        plot.Axes.SetLimitsY(-0.02, 1.02);                                    // a share: the whole 0..1 range, whatever the values
        return plot;
    }

    private static string Drops(IReadOnlyList<ClozeDrop> dropped) => dropped.Count == 0 ? ""
        : $"; dropped {string.Join(", ", dropped.GroupBy(d => d.Reason).OrderBy(g => g.Key).Select(g => $"{g.Count()} {Reason(g.Key)}"))}";

    private static string Reason(ClozeDropReason reason) => reason switch
    {
        ClozeDropReason.EmptyPrompt => "with nothing before [MASK]",
        ClozeDropReason.NotOneToken => "whose target is not one token",
        ClozeDropReason.ShorterThanVector => "shorter than the vector",
        _ => "longer than the context",
    };

    private static string F(double value) => value.ToString("F3", CultureInfo.InvariantCulture);
}
