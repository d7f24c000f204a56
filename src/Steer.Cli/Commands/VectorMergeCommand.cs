using System.CommandLine;
using Steer.Cli.Commands.Shared;
using Steer.Sharding;
using Steer.Steering;
using Steer.Steering.Files;
using Steer.Steering.Methods;

namespace Steer.Cli.Commands;

/// <summary>
/// <c>steer vector merge DIR [DIR ...] --out V.safetensors</c>: joins the shard files of one dataset vector
/// (<c>steer vector --method caa|pca-* --dataset D --shard I/N --out DIR</c>) into the vector one process makes.
/// </summary>
internal static class VectorMergeCommand
{
    public const string Stem = "vector-shard";

    public static Command Create(CliContext context)
    {
        var inputs = new Argument<string[]>("DIR") { Description = "Directories holding the shard files (vector-shard-I-of-N.safetensors), or the files themselves.", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string>("--out") { Description = "Where to write the vector (.safetensors).", Required = true };
        var json = new Option<bool>("--json") { Description = "Print what was saved as JSON." };
        var command = new Command("merge", "Join the shard files of one dataset vector into the vector one process makes.") { inputs, output, json };
        command.SetAction(parse =>
        {
            var path = parse.GetValue(output)!;
            if (SteeringVectorFiles.IsGguf(path))
                throw new SteerException(ErrorKind.InvalidArgument,
                    "merge writes .safetensors (a GGUF file needs the model); convert with 'steer vector --vector V.safetensors --model M --out V.gguf'");
            OutputPath.Check(path, "--out");
            var files = ShardFiles.Find(parse.GetValue(inputs)!, Stem, "vector", "safetensors");
            var shards = ShardFiles.InOrder(files.Select(f => (f, Load(f))).ToList(), s => s.Shard,
                (first, other) => ShardFiles.FingerprintDiffers(first.Fingerprint, other.Fingerprint, "another model, dataset or options"), Stem, "vector", "safetensors");
            var vector = DatasetVectors.FromStatistics(shards.Select(s => s.Statistics).ToList(), shards[0].Model);
            OutputPath.CreateParent(path, "--out");
            SteeringVectorFile.Save(vector, path);
            context.Error.WriteLine($"merged {shards.Count} shard file(s): {DatasetVectors.MethodName(vector.Components.Count > 0 ? shards[0].Statistics.Method : VectorMethod.Caa)} " +
                $"from {shards.Sum(s => s.Statistics.Pairs)} pairs");
            return VectorCommand.Report(context, vector, path, shards[0].Model, null, parse.GetValue(json));
        });
        return command;
    }

    private sealed record ShardFile(Shard Shard, string Fingerprint, string Model, DatasetStatistics Statistics);

    private static ShardFile Load(string path)
    {
        var (statistics, metadata) = DatasetStatistics.Load(path);
        try
        {
            var shard = new Shard(int.Parse(metadata["shard"], System.Globalization.CultureInfo.InvariantCulture),
                int.Parse(metadata["shards"], System.Globalization.CultureInfo.InvariantCulture));
            return new ShardFile(shard, metadata["fingerprint"], metadata["model"], statistics);
        }
        catch (Exception e) when (e is KeyNotFoundException or FormatException or OverflowException or SteerException)
        {
            throw new SteerException(ErrorKind.InvalidModel, $"{path}: not a vector shard file ({e.Message})");
        }
    }
}
