using System.CommandLine;
using System.Globalization;
using Steer.Cli.Commands.Shared;
using Steer.Evaluation;
using Steer.Evaluation.Reports;
using Steer.Hooks;
using Steer.Steering;
using Steer.Steering.Files;

namespace Steer.Cli.Commands;

/// <summary><c>steer vector inspect FILE [--model M] [--compare FILE2] [--plot out.png|svg] [--json]</c></summary>
internal static class VectorInspectCommand
{
    public static Command Create(CliContext context)
    {
        var file = new Argument<string>("file") { Description = "A vector file: .safetensors or .gguf (a .gguf file needs --model)." };
        var compare = new Option<string?>("--compare") { Description = "A second vector file: cosine similarity per hook point." };
        var plot = new Option<string?>("--plot") { Description = "Draw norm and relative norm per layer to a .png or .svg file." };
        var json = new Option<bool>("--json") { Description = "Print the report as JSON." };
        var model = new ModelArguments(context);
        var command = new Command("inspect", "Show a vector's norms, relative norms, the cosine similarity between its layers, and a logit lens.")
        {
            file, compare, plot, json,
        };
        model.AddTo(command);
        command.SetAction(parse =>
        {
            var path = parse.GetValue(file)!;
            if (parse.GetValue(plot) is { } plotPath) OutputPath.Check(plotPath, "--plot");
            foreach (var input in new[] { path, parse.GetValue(compare) }.OfType<string>())
            {
                if (!File.Exists(input)) throw new SteerException(ErrorKind.NotFound, $"{input}: no such vector file");
                if (SteeringVectorFiles.IsGguf(input) && !model.IsGiven(parse))
                    throw new SteerException(ErrorKind.InvalidArgument, $"{input} is a GGUF control vector: give --model, against which its width and layers are read");
            }
            // A safetensors vector stands alone; the model is loaded only when named.
            using var lm = model.IsGiven(parse) ? model.Load(parse) : null;
            SteeringVector Read(string p) => lm is null ? SteeringVectorFile.Load(p) : SteeringVectorFiles.Load(p, lm);
            var vector = Read(path);
            var report = VectorAnalysis.Analyze(vector, lm, parse.GetValue(compare) is { } second ? Read(second) : null);
            if (parse.GetValue(plot) is { } chart) SavePlot(report, chart);
            if (parse.GetValue(json))
            {
                Json.Write(context.Output, new
                {
                    path,
                    model = lm?.Name,
                    components = report.Components.Select(c => new
                    {
                        hook_point = c.HookPoint,
                        positions = c.Mode.ToString().ToLowerInvariant(),
                        rows = c.Positions,
                        norm = c.Norm,
                        relative_norm = c.RelativeNorm,
                        top = c.Top.Select(t => new { id = t.Id, text = t.Text, score = t.Score }),
                        bottom = c.Bottom.Select(t => new { id = t.Id, text = t.Text, score = t.Score }),
                    }),
                    cosines = report.Cosines,
                    compared = report.Compared,
                    properties = vector.Metadata.Properties,
                });
                return ExitCodes.Ok;
            }
            Print(context.Output, path, vector, report);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static void Print(TextWriter output, string path, SteeringVector vector, VectorReport report)
    {
        static string F(double v) => v.ToString("G4", CultureInfo.InvariantCulture);
        output.WriteLine($"{path}: {report.Components.Count} component(s)");
        foreach (var (key, value) in vector.Metadata.Properties) output.WriteLine($"  {key}: {value}");
        var rows = report.Components.Select(c => new[]
        {
            c.HookPoint, c.Mode.ToString().ToLowerInvariant(), c.Positions.ToString(CultureInfo.InvariantCulture), F(c.Norm),
            c.RelativeNorm is { } r ? F(r) : "-",
        }).ToList();
        TextTable.Write(output, ["hook point", "positions", "rows", "norm", "/ resid"], rows, textColumns: 2);
        foreach (var c in report.Components.Where(c => c.Top.Count > 0))
        {
            output.WriteLine($"logit lens at {c.HookPoint}");
            output.WriteLine("  up:   " + string.Join(" ", c.Top.Select(t => Quote(t.Text))));
            output.WriteLine("  down: " + string.Join(" ", c.Bottom.Select(t => Quote(t.Text))));
        }
        if (report.Components.Count > 1)
        {
            output.WriteLine("cosine similarity between components");
            var labels = report.Components.Select(c => HookNames.LayerOf(c.HookPoint)?.ToString(CultureInfo.InvariantCulture) ?? c.HookPoint).ToList();
            var matrix = report.Cosines.Select((row, i) => new[] { labels[i] }.Concat(row.Select(v => v.ToString("F2", CultureInfo.InvariantCulture))).ToArray()).ToList();
            TextTable.Write(output, ["layer", .. labels], matrix);
        }
        foreach (var (hook, cosine) in report.Compared) output.WriteLine($"cosine with --compare at {hook}: {F(cosine)}");
    }

    private static string Quote(string text) => "\"" + text.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n") + "\"";

    private static void SavePlot(VectorReport report, string path)
    {
        var layered = report.Components.Where(c => HookNames.LayerOf(c.HookPoint) is not null).ToList();
        var xs = layered.Select(c => (double)HookNames.LayerOf(c.HookPoint)!.Value).ToList();
        List<ChartSeries> series = [new("norm", xs, layered.Select(c => c.Norm).ToList())];
        if (layered.All(c => c.RelativeNorm is not null)) series.Add(new("norm / mean residual norm", xs, layered.Select(c => c.RelativeNorm!.Value).ToList()));
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        Charts.SaveAs(Charts.Lines("Steering vector norm per layer", "layer", "norm", series, [], integerX: true), path);
    }
}
