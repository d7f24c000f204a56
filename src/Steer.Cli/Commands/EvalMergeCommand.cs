using System.CommandLine;
using Steer.Cli.Commands.Shared;
using Steer.Evaluation.Sharding;

namespace Steer.Cli.Commands;

/// <summary>
/// <c>steer eval merge DIR [DIR ...] [--show N] [--plot F] [--json]</c>: joins the shard files of one <c>eval perplexity</c>, <c>eval wordcount</c> or
/// <c>eval kl --prompts</c> run (<c>--shard I/N</c>) and prints what the unsharded command prints.
/// </summary>
internal static class EvalMergeCommand
{
    public static Command Create(CliContext context)
    {
        var inputs = new Argument<string[]>("DIR") { Description = "Directories holding the shard files (eval-shard-I-of-N.json), or the files themselves.", Arity = ArgumentArity.OneOrMore };
        var show = EvalWordCountCommand.ShowOption();
        var json = new Option<bool>("--json") { Description = "Print the result as the unsharded command's --json does." };
        var plot = new Option<string?>("--plot") { Description = "With the shards of 'eval kl --prompts': write its scatter plot (.png or .svg)." };
        var output = new Option<string?>("--out") { Description = "For an 'eval perplexity --corpus' run: also write bins.csv, bins.json and ratio-vs-relevance.png into this directory." };
        var command = new Command("merge", "Join the shard files of one 'eval perplexity', 'eval wordcount' or 'eval kl --prompts' run and print its result.")
        {
            inputs, show, json, plot, output,
        };
        command.SetAction(parse =>
        {
            if (parse.GetValue(plot) is { } plotPath) OutputPath.Check(plotPath, "--plot");
            if (parse.GetValue(output) is { } outDirectory) OutputPath.CheckDirectory(outDirectory, "--out");
            var files = EvalShardFile.Find(parse.GetValue(inputs)!);
            var shards = EvalShardFile.InOrder(files.Select(path => (path, EvalShardFile.Read(path))).ToList());
            if (parse.GetValue(plot) is not null && shards[0].Metric != "kl")
                throw new SteerException(ErrorKind.InvalidArgument, $"--plot draws the shards of 'eval kl --prompts', not of eval {shards[0].Metric}");
            context.Error.WriteLine($"merged {shards.Count} shard file(s) of an eval {shards[0].Metric} run");
            if (parse.GetValue(output) is not null && shards[0].Metric != EvalCorpusPerplexity.Metric)
                throw new SteerException(ErrorKind.InvalidArgument, $"--out writes the bins of an 'eval perplexity --corpus' run; these are eval {shards[0].Metric} shards");
            return shards[0].Metric switch
            {
                "perplexity" => EvalPerplexityCommand.Merge(context, shards, parse.GetValue(json)),
                EvalCorpusPerplexity.Metric => EvalCorpusPerplexity.Merge(context, shards, parse.GetValue(json), parse.GetValue(output)),
                "wordcount" => EvalWordCountCommand.Merge(context, shards, parse.GetValue(show), parse.GetValue(json)),
                "kl" => EvalKlStress.Merge(context, shards, parse.GetValue(json), parse.GetValue(plot)),
                var metric => throw new SteerException(ErrorKind.InvalidModel, $"{files[0]}: this Steer cannot merge eval {metric} shards"),
            };
        });
        return command;
    }
}
