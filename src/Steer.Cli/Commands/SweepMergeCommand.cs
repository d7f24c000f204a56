using System.CommandLine;
using Steer.Cli.Commands.Shared;
using Steer.Evaluation.Sweeps;

namespace Steer.Cli.Commands;

/// <summary>
/// <c>steer sweep merge DIR [DIR ...] --out OUT</c>: joins the shard files of one sweep (<c>steer sweep --shard I/N</c>)
/// and writes what the unsharded sweep writes.
/// </summary>
internal static class SweepMergeCommand
{
    public static Command Create(CliContext context)
    {
        var inputs = new Argument<string[]>("DIR") { Description = "Directories holding the shard files (sweep-shard-I-of-N.json), or the files themselves.", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string>("--out") { Description = "Directory for results.csv, results.json, the charts and report.html.", Required = true };
        var json = new Option<bool>("--json") { Description = "Print a summary as JSON (the full results are in OUT/results.json)." };
        var command = new Command("merge", "Join the shard files of one sweep into the results, charts and report one process writes.")
        {
            inputs, output, json,
        };
        command.SetAction(parse =>
        {
            var directory = parse.GetValue(output)!;
            OutputPath.CheckDirectory(directory, "--out");
            var files = SweepMerge.Find(parse.GetValue(inputs)!);
            var merged = SweepMerge.Merge(files.Select(path => (path, SweepShardFile.Read(path))).ToList());
            context.Error.WriteLine($"merged {files.Count} shard file(s) of a {merged.Result.Grid.Count}-cell sweep");
            return SweepCommand.Report(context, merged.Result, directory, merged.Settings, merged.JsonSettings, parse.GetValue(json));
        });
        return command;
    }
}
