using System.CommandLine;
using System.Globalization;
using Steer.Cli.Commands.Shared;
using Steer.Evaluation;
using Steer.Evaluation.Reports;
using Steer.Steering.Recipes;

namespace Steer.Cli.Commands;

/// <summary>
/// <c>steer eval norms --prompt P [--center] [--plot FILE] [steering] [--json]</c>: per layer and position, the steering
/// vector's norm relative to the prompt's residual stream (the post's §5.4), the vector built at every layer with c = 1.
/// </summary>
internal static class EvalNormsCommand
{
    public static Command Create(CliContext context)
    {
        var model = new ModelArguments(context);
        var input = new InputArguments("--prompt", "The prompt whose residual stream is the reference; the BOS token (GPT-2: <|endoftext|>) is prepended, if the tokenizer adds one, unless --no-bos.");
        var steering = new SteeringArguments(sweep: true);
        var center = new Option<bool>("--center") { Description = "Subtract each vector's mean over d_model first, as TransformerLens's centred weights do." };
        var plot = new Option<string?>("--plot") { Description = "Write the ratio against the layer, one line per position (.png or .svg)." };
        var json = new Option<bool>("--json") { Description = "Print {\"layers\":[{\"layer\":L,\"steering_norms\":[...],\"prompt_norms\":[...],\"ratios\":[...]}]}." };
        var command = new Command("norms", "Steering-vector norms against the prompt's residual-stream norms, per layer and position (c = 1 at every layer).")
        {
            center, plot, json,
        };
        model.AddTo(command);
        input.AddTo(command);
        steering.AddTo(command);
        command.SetAction(parse =>
        {
            if (parse.GetValue(plot) is { } outputPath) OutputPath.Check(outputPath, "--plot");
            var recipe = steering.SweepRecipe(parse, RecipeBook.Find(EvalSteering.DefaultRecipe));
            using var lm = model.Load(parse, steering.HasPlus(parse) ? null : RecipeBook.PostModel);
            var ids = input.Ids(parse, lm.Tokenizer);
            var padId = steering.PadId(parse);
            var layers = NormAnalysis.Measure(lm, ids, layer => recipe.BuildAt(lm, layer, 1, padId), parse.GetValue(center));
            var positions = layers[0].Ratios.Count;
            if (parse.GetValue(plot) is { } plotPath)
            {
                var series = Enumerable.Range(0, positions)
                    .Select(p => new ChartSeries($"position {p} {Display.Quote(lm.Tokenizer.TokenText(ids[p]))}",
                        layers.Select(l => (double)l.Layer).ToList(), layers.Select(l => l.Ratios[p]).ToList()))
                    .ToList();
                Charts.SaveAs(Charts.Lines("Steering vector norm / prompt residual norm", "layer", "norm ratio", series, [], integerX: true), plotPath);
            }
            if (parse.GetValue(json))
            {
                Json.Write(context.Output, new
                {
                    model = lm.Name,
                    prompt_ids = ids,
                    center = parse.GetValue(center),
                    additions = recipe.Additions.Select(a => new { plus = a.Plus, minus = a.Minus, coeff = a.Coeff }),
                    layers = layers.Select(l => new { layer = l.Layer, steering_norms = l.SteeringNorms, prompt_norms = l.PromptNorms, ratios = l.Ratios }),
                });
                return ExitCodes.Ok;
            }
            context.Output.WriteLine($"‖steering vector‖ / ‖resid_pre(prompt)‖ per position{(parse.GetValue(center) ? ", mean-centred" : "")}; " +
                $"additions: {string.Join(" + ", recipe.Additions.Select(a => a.Minus is null ? $"\"{a.Plus}\" x {a.Coeff:G4}" : $"(\"{a.Plus}\" - \"{a.Minus}\") x {a.Coeff:G4}"))}");
            var header = new List<string> { "layer" };
            header.AddRange(Enumerable.Range(0, positions).Select(p => $"{p} {Display.Quote(lm.Tokenizer.TokenText(ids[p]))}"));
            TextTable.Write(context.Output, header, layers.Select(l => (IReadOnlyList<string>)[l.Layer.ToString(CultureInfo.InvariantCulture),
                .. l.Ratios.Select(r => r.ToString("F4", CultureInfo.InvariantCulture))]), width: context.Width);
            return ExitCodes.Ok;
        });
        return command;
    }
}
