using System.CommandLine;
using System.Globalization;
using Steer.Cli.Commands.Shared;
using Steer.Evaluation;
using Steer.Evaluation.Reports;
using Steer.Evaluation.Sweeps;
using Steer.Sharding;
using Steer.Steering.Recipes;

namespace Steer.Cli.Commands;

/// <summary>
/// <c>steer sweep --layers A..B|list --coeffs list|linspace(a,b,n) --metric perplexity|kl|effectiveness|disruption|wordcount [metric options] [--plus P --minus M | --recipe R] --out DIR</c>:
/// a metric at every layer × coefficient, written as results.csv, results.json, PNG/SVG charts and report.html.
/// </summary>
internal static class SweepCommand
{
    public static Command Create(CliContext context)
    {
        var model = new ModelArguments(context);
        var steering = new SteeringArguments(sweep: true);
        var texts = new PerplexityArguments();
        var words = new WordCountArguments(defaultCount: 20);
        var aligned = new AlignedArguments();
        var layers = new Option<string>("--layers") { Description = "Layers: A..B (inclusive) or a list such as 0,4,8.", Required = true };
        var coeffs = new Option<string>("--coeffs") { Description = "Coefficients: a list such as 0,1,2 or linspace(a,b,n).", Required = true };
        var metric = new Option<string>("--metric") { Description = "perplexity (over --file/--topic texts), kl (at --prompt's --position), effectiveness or disruption (of --aligned tokens over --prompt's positions) or wordcount (completions of --prompt).", DefaultValueFactory = _ => "perplexity" };
        var position = NumberOption.OptionalInt("--position", $"kl: the position whose next-token distribution is compared (default: the last); effectiveness, disruption: the one position measured (default: the mean over the unmasked ones). Their default prompt is \"{EvalKlCommand.DefaultPrompt}\".");
        var output = new Option<string>("--out") { Description = "Directory for results.csv, results.json, the charts and report.html (with --shard: for the shard file).", Required = true };
        var shard = new Option<string?>("--shard") { Description = "I/N: measure only shard I (from 0) of N of the cells and write DIR/sweep-shard-I-of-N.json; join the N files with 'steer sweep merge'." };
        var json = new Option<bool>("--json") { Description = "Print a summary as JSON (the full results are in DIR/results.json)." };
        var command = new Command("sweep", "Measure perplexity, KL, effectiveness, disruption or word counts at every layer x coefficient; write CSV, JSON, charts and an HTML report.")
        {
            layers, coeffs, metric, position, output, shard, json,
        };
        command.Subcommands.Add(SweepMergeCommand.Create(context));
        model.AddTo(command);
        steering.AddTo(command);
        texts.AddTo(command);
        words.AddTo(command);
        aligned.AddTo(command, required: false);
        command.SetAction(parse =>
        {
            OutputPath.CheckDirectory(parse.GetValue(output)!, "--out");
            var part = parse.GetValue(shard) is { } text ? Shard.Parse(text) : null;
            var grid = new SweepGrid(SweepGrid.ParseLayers(parse.GetValue(layers)!), SweepGrid.ParseCoefficients(parse.GetValue(coeffs)!));
            var recipe = steering.SweepRecipe(parse, RecipeBook.Find(EvalSteering.DefaultRecipe));
            var metricName = parse.GetValue(metric)!.ToLowerInvariant();
            using var lm = model.Load(parse, steering.HasPlus(parse) ? null : RecipeBook.PostModel);
            foreach (var layer in grid.Layers) Steer.Steering.Methods.ActAdd.HookPointOf(lm, layer);
            var settings = new List<KeyValuePair<string, string>>
            {
                new("model", lm.Name),
                new("steering", string.Join(" + ", recipe.Additions.Select(a => a.Minus is null ? $"\"{a.Plus}\" x {a.Coeff:G4}" : $"(\"{a.Plus}\" - \"{a.Minus}\") x {a.Coeff:G4}")) + " x c at blocks.L.hook_resid_pre"),
            };
            var steeringOptions = steering.Options(parse);
            var padId = steering.PadId(parse);
            // What the settings only summarise, for telling one sweep's shards from another's.
            var inputs = new List<string> { $"model {lm.Name} {lm.DType} {lm.ParameterCount} {lm.Shape}", $"steering {steeringOptions} pad {padId}" };
            inputs.AddRange(recipe.Additions.Select(a => $"addition {a.Plus}\u001f{a.Minus}\u001f{a.Coeff:R}"));
            var sweepMetric = Metric(metricName, parse, lm, texts, words, aligned, position, settings, inputs);
            using var disposeMetric = sweepMetric as IDisposable;
            var progress = new ProgressBar(context.Error, context.ErrorIsTerminal);
            var layerCosts = grid.LayerCosts(sweepMetric);
            var cells = part is null ? null : grid.CellsOf(part, layerCosts);
            var result = Sweep.Run(sweepMetric, grid, layer => recipe.BuildAt(lm, layer, 1, padId), steeringOptions, progress, cells);
            var directory = parse.GetValue(output)!;
            var jsonSettings = SweepFiles.SettingsElement(new
            {
                model = lm.Name,
                additions = recipe.Additions.Select(a => new { plus = a.Plus, minus = a.Minus, coeff = a.Coeff }),
                details = settings.ToDictionary(),
            });
            if (part is null) return Report(context, result, directory, settings, jsonSettings, parse.GetValue(json));
            var fingerprint = SweepShardFile.FingerprintOf(result, layerCosts, settings, jsonSettings, inputs);
            var path = new SweepShardFile(part, layerCosts, fingerprint, settings, jsonSettings, result).Write(directory);
            var cellLayers = cells!.Select(c => c.Layer).Distinct().ToList();
            if (parse.GetValue(json))
                Json.Write(context.Output, new { shard = part.ToString(), cells = cells!.Count, total_cells = grid.Count, rows = result.Rows.Count, elapsed_s = result.Elapsed.TotalSeconds, file = path });
            else
                context.Output.WriteLine($"shard {part}: {cells!.Count} of {grid.Count} cells" +
                    (cellLayers.Count == 0 ? "" : $" (layer{(cellLayers.Count > 1 ? "s" : "")} {string.Join(", ", cellLayers)})") +
                    $", {result.Rows.Count} rows in {result.Elapsed.TotalSeconds:F1} s; wrote {path}");
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>Writes a whole sweep's files (one process's, or merged shards') and prints its table or JSON summary.</summary>
    internal static int Report(CliContext context, SweepResult result, string directory, IReadOnlyList<KeyValuePair<string, string>> settings,
        System.Text.Json.JsonElement jsonSettings, bool asJson)
    {
        var files = SweepReport.Write(result, directory, settings.Select(s => (s.Key, s.Value)).ToList(), jsonSettings);
        if (asJson)
        {
            Json.Write(context.Output, new { out_dir = directory, metric = result.Metric, rows = result.Rows.Count, elapsed_s = result.Elapsed.TotalSeconds, files });
            return ExitCodes.Ok;
        }
        TextTable.Write(context.Output, ["layer", "coeff", "topic", result.ValueColumn],
            result.Rows.Select(r => (IReadOnlyList<string>)[r.Layer.ToString(CultureInfo.InvariantCulture), SweepPlots.Format(r.Coeff), r.Topic,
                r.Value(result.ValueColumn).ToString("G5", CultureInfo.InvariantCulture)]), textColumns: 0, width: context.Width);
        context.Output.WriteLine($"{result.Rows.Count} rows in {result.Elapsed.TotalSeconds:F1} s; wrote {Path.Combine(directory, SweepReport.HtmlName)}, " +
            $"{SweepFiles.CsvName}, {SweepFiles.JsonName} and {files.Count - 3} chart files");
        return ExitCodes.Ok;
    }

    private static ISweepMetric Metric(string name, ParseResult parse, LanguageModel lm, PerplexityArguments texts, WordCountArguments words,
        AlignedArguments aligned, Option<int?> position, List<KeyValuePair<string, string>> settings, List<string> inputs)
    {
        switch (name)
        {
            case "perplexity":
                var options = texts.Options(parse);
                if (options.Mode == PerplexityMode.Prompting)
                    throw new SteerException(ErrorKind.InvalidArgument, "--mode prompting has no layer or coefficient to sweep; run 'steer eval perplexity --mode prompting'");
                var topics = texts.Topics(parse);
                var evaluation = new PerplexityEvaluation(lm, topics, options);
                settings.Add(new("texts", string.Join(", ", topics.Select(t => $"{t.Name} ({t.Sentences.Count} sentences)"))));
                settings.Add(new("mode", $"{options.Mode.ToString().ToLowerInvariant()}, mask {options.Mask?.ToString(CultureInfo.InvariantCulture) ?? "= vector length"}"));
                inputs.Add($"perplexity {options}");
                inputs.AddRange(topics.Select(t => $"topic {t.Name} {SweepShardFile.HashOf(t.Sentences)}"));
                return new PerplexitySweepMetric(evaluation);
            case "kl":
                var (ids, prompt) = KlPrompt(parse, lm, words);
                settings.Add(new("prompt", prompt));
                inputs.Add($"kl ids {string.Join(',', ids)} position {parse.GetValue(position)}");
                return new KlSweepMetric(lm, ids, prompt, parse.GetValue(position));
            case "effectiveness" or "disruption":
                var set = aligned.Tokens(parse, lm, $"--metric {name}");
                var (effectIds, effectPrompt) = KlPrompt(parse, lm, words);
                var effect = new SteeringEffectOptions(parse.GetValue(position), aligned.AllPositions(parse));
                settings.Add(new("prompt", effectPrompt));
                settings.Add(new("aligned", AlignedArguments.Describe(set, lm)));
                settings.Add(new("positions", (effect.AtPosition is { } at ? $"position {at}" : "mean over the positions") +
                    (effect.IncludeMasked ? ", masked ones included" : ", masked ones (the vector's) left out")));
                inputs.Add($"effect ids {string.Join(',', effectIds)} aligned {string.Join(',', set.Ids)} {effect}");
                return new SteeringEffectSweepMetric(lm, effectIds, set, effectPrompt,
                    name == "effectiveness" ? SteeringEffectValue.Effectiveness : SteeringEffectValue.Disruption, effect);
            case "wordcount":
                var wordCount = words.Evaluation(parse, lm);
                var text = words.Input.Text(parse) ?? lm.Tokenizer.Decode(words.Input.Ids(parse, lm.Tokenizer));
                settings.Add(new("prompt", text));
                settings.Add(new("words", string.Join(", ", wordCount.Counter.Targets)));
                settings.Add(new("sampling", $"{parse.GetValue(words.Sampling.CountOption)} completions per side, seed {wordCount.Seed}"));
                inputs.Add($"wordcount {wordCount.Identity}");
                return new WordCountSweepMetric(wordCount, text);
            default:
                throw new SteerException(ErrorKind.InvalidArgument, $"--metric '{name}': use perplexity, kl, effectiveness, disruption or wordcount");
        }
    }

    /// <summary>--prompt/--ids, or without them the post's KL example rather than the word-count prompt.</summary>
    private static (IReadOnlyList<int> Ids, string Text) KlPrompt(ParseResult parse, LanguageModel lm, WordCountArguments words)
    {
        if (!words.Input.IsGiven(parse)) return (lm.Tokenizer.Encode(EvalKlCommand.DefaultPrompt), EvalKlCommand.DefaultPrompt);
        var ids = words.Input.Ids(parse, lm.Tokenizer);
        return (ids, words.Input.Text(parse) ?? lm.Tokenizer.Decode(ids));
    }
}
