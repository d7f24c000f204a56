using System.CommandLine;
using Steer.Cli.Commands.Shared;
using Steer.Evaluation.Sweeps;
using Steer.Sharding;
using Steer.Steering;
using Steer.Steering.Datasets;
using Steer.Steering.Files;
using Steer.Steering.Methods;

namespace Steer.Cli.Commands;

/// <summary>
/// <c>steer vector --plus P --minus M --layer L --coeff C --out v.safetensors</c>, or from a dataset:
/// <c>steer vector --method caa|pca-diff|pca-center --dataset pairs.jsonl --layers A..B --out v.gguf</c>.
/// </summary>
internal static class VectorCommand
{
    /// <summary>"resid_post" (a kind for every block) or "blocks.6.hook_resid_pre" (one hook point, aliases allowed).</summary>
    private static (string Kind, int? Layer) ParseHookPoint(LanguageModel model, string text)
    {
        if (!text.StartsWith("blocks.", StringComparison.Ordinal)) return (text, null);
        var name = model.Description.ResolveHookPoint(text);
        var layer = Steer.Hooks.HookNames.LayerOf(name)!.Value;
        var kind = name[$"blocks.{layer}.hook_".Length..];
        return kind is "resid_pre" or "resid_mid" or "resid_post" ? (kind, layer)
            : throw new SteerException(ErrorKind.InvalidArgument, $"--hook-point {text}: dataset vectors are read from a residual stream (hook_resid_pre, hook_resid_mid or hook_resid_post)");
    }

    /// <summary>Reports synchronously on the calling thread (Progress&lt;T&gt; would post to the thread pool and interleave).</summary>
    private sealed class InlineProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }

    public static Command Create(CliContext context)
    {
        var model = new ModelArguments(context);
        var steering = new SteeringArguments();
        var output = new Option<string>("--out") { Description = "Where to write the vector: .safetensors (Steer's format) or .gguf (a llama.cpp control vector).", Required = true };
        var json = new Option<bool>("--json") { Description = "Print what was saved as JSON." };
        var method = new Option<string>("--method") { Description = "actadd (from --plus/--minus), caa, pca-diff or pca-center (from --dataset).", DefaultValueFactory = _ => "actadd" };
        var dataset = new Option<string?>("--dataset") { Description = "Contrastive pairs: JSONL {\"positive\", \"negative\"} per line, or CAA's A/B JSON list." };
        var layers = new Option<string?>("--layers") { Description = "Blocks to make a vector at: A..B or a list such as 2,4,6. Default: every block (for .gguf, every block a control vector can steer: 1..n-1)." };
        var residual = new Option<string>("--hook-point")
        {
            Description = "Which residual stream of each block: resid_post (llama.cpp's and repeng's), resid_pre or resid_mid; " +
                "or one residual hook point such as blocks.6.hook_resid_pre (then --layers is not taken).",
            DefaultValueFactory = _ => "resid_post",
        };
        var token = new Option<string>("--token") { Description = "last (each text's last token) or mean (over its tokens, BOS excluded).", DefaultValueFactory = _ => "last" };
        var batch = NumberOption.Int("--batch-size", "Texts per forward pass.", 32);
        var shard = new Option<string?>("--shard") { Description = "I/N, with --dataset: read only shard I (from 0) of N of the pairs and write DIR/vector-shard-I-of-N.safetensors into --out DIR; join them with 'steer vector merge'." };
        var randomLike = new Option<bool>("--random-like")
        {
            Description = "Save the post's random control instead: N(0,1) values of the vector's shape (--seed), each position rescaled to the vector's norm there, position 0 zero.",
        };
        var randomLikeFile = new Option<string?>("--random-like-file") { Description = "The random control of a saved vector file (instead of computing one)." };
        var seed = NumberOption.Int("--seed", "The random control's seed.", 0);
        var matchNorm = new Option<string?>("--match-norm") { Description = "Rescale the vector so that its mean norm over positions >= 1 equals this vector file's." };
        var command = new Command("vector", "Compute a steering vector (ActAdd from a prompt pair, or CAA/PCA from a dataset) and save it with its provenance.")
        {
            output, json, method, dataset, layers, residual, token, batch, shard, randomLike, randomLikeFile, seed, matchNorm,
        };
        model.AddTo(command);
        steering.AddTo(command);
        command.Add(VectorInspectCommand.Create(context));
        command.Add(VectorMergeCommand.Create(context));
        command.SetAction(parse =>
        {
            var path = parse.GetValue(output)!;
            var part = parse.GetValue(shard) is { } text ? Shard.Parse(text) : null;
            var methodName = parse.GetValue(method)!.ToLowerInvariant();
            var fromDataset = methodName != "actadd";
            var control = parse.GetValue(randomLike) || parse.GetValue(randomLikeFile) is not null;
            if (parse.GetResult(seed) is { Implicit: false } && !control) throw new SteerException(ErrorKind.InvalidArgument, "--seed seeds the random control; give --random-like or --random-like-file");
            if (part is not null && (control || parse.GetValue(matchNorm) is not null))
                throw new SteerException(ErrorKind.InvalidArgument, "a shard holds statistics, not a vector; make the control from the merged vector (--random-like-file, --match-norm)");
            if (parse.GetValue(randomLikeFile) is not null && fromDataset)
                throw new SteerException(ErrorKind.InvalidArgument, "--random-like-file takes the vector from the file; leave out --method and --dataset, or use --random-like");
            if (part is not null && !fromDataset) throw new SteerException(ErrorKind.InvalidArgument, "--shard splits a dataset's pairs; give --method caa, pca-diff or pca-center and --dataset");
            if (part is null) OutputPath.Check(path, "--out");
            else OutputPath.CheckDirectory(path, "--out");
            if (fromDataset && parse.GetValue(dataset) is null) throw new SteerException(ErrorKind.InvalidArgument, $"--method {methodName} needs --dataset");
            if (!fromDataset && parse.GetValue(dataset) is not null) throw new SteerException(ErrorKind.InvalidArgument, "--dataset needs --method caa, pca-diff or pca-center");
            var recipe = steering.Recipe(parse);
            using var lm = model.Load(parse, recipe is null ? null : Steer.Steering.Recipes.RecipeBook.PostModel);
            SteeringVector vector;
            SteeringChoice? choice = null;
            if (fromDataset)
            {
                var pairs = ContrastiveDataset.Load(parse.GetValue(dataset)!);
                var (kind, layer) = ParseHookPoint(lm, parse.GetValue(residual)!);
                if (layer is not null && parse.GetValue(layers) is not null)
                    throw new SteerException(ErrorKind.InvalidArgument, "--hook-point names one hook point; leave out --layers, or give --hook-point resid_pre|resid_mid|resid_post");
                var options = new DatasetVectorOptions
                {
                    Method = DatasetVectors.ParseMethod(methodName),
                    // A GGUF file cannot hold block 0's output, so its default is the blocks it can (llama.cpp's generator's too).
                    Layers = layer is { } one ? [one]
                        : parse.GetValue(layers) is { } list ? SweepGrid.ParseLayers(list)
                        : SteeringVectorFiles.IsGguf(path) ? ControlVectorFile.Layers(lm, kind) : null,
                    Residual = kind,
                    Token = parse.GetValue(token)!.ToLowerInvariant() switch
                    {
                        "last" => TokenReduction.Last,
                        "mean" => TokenReduction.Mean,
                        var other => throw new SteerException(ErrorKind.InvalidArgument, $"--token '{other}': use last or mean"),
                    },
                    BatchSize = parse.GetValue(batch),
                };
                var hookPoints = DatasetVectors.HookPoints(lm, options);
                if (part is not null) return WriteShard(context, lm, pairs, options, part, path);
                if (SteeringVectorFiles.IsGguf(path)) ControlVectorFile.CheckHookPoints(hookPoints, lm);
                var clock = System.Diagnostics.Stopwatch.StartNew();
                var total = 2 * pairs.Count;
                // Progress on a terminal only: "[#####.....] 640/2000 texts  12s".
                IProgress<int>? progress = context.ErrorIsTerminal ? new InlineProgress<int>(done =>
                {
                    var filled = done * 30 / total;
                    context.Error.Write($"\r[{new string('#', filled)}{new string('.', 30 - filled)}] {done}/{total} texts  {ProgressBar.Format(clock.Elapsed)}   ");
                    if (done == total) context.Error.WriteLine();
                }) : null;
                vector = DatasetVectors.Train(lm, pairs, options, progress);
                context.Error.WriteLine($"{DatasetVectors.MethodName(options.Method)} from {pairs.Count} pairs at {vector.Components.Count} hook points in {clock.Elapsed.TotalSeconds:F1} s");
            }
            else if (parse.GetValue(randomLikeFile) is { } sourcePath)
            {
                if (steering.IsGiven(parse))
                    throw new SteerException(ErrorKind.InvalidArgument, "--random-like-file takes its shape and norms from the file; leave out the steering options");
                vector = SteeringVectorFiles.Load(sourcePath, lm);
            }
            else
            {
                choice = steering.Build(parse, lm);
                vector = choice.Vector
                    ?? throw new SteerException(ErrorKind.InvalidArgument, "nothing to save: give --plus/--minus/--layer/--coeff, --add, --recipe or --vector");
            }
            if (control) vector = RandomControl.RandomLike(vector, parse.GetValue(seed));
            if (parse.GetValue(matchNorm) is { } referencePath) vector = RandomControl.MatchNorm(vector, SteeringVectorFiles.Load(referencePath, lm));
            OutputPath.CreateParent(path, "--out");
            SteeringVectorFiles.Save(vector, path, lm);
            return Report(context, vector, path, lm.Name, choice, parse.GetValue(json));
        });
        return command;
    }

    /// <summary>Reads one shard of the pairs (a run in order, balanced by text length) and writes its statistics into <paramref name="directory"/>.</summary>
    private static int WriteShard(CliContext context, LanguageModel lm, IReadOnlyList<ContrastivePair> pairs, DatasetVectorOptions options, Shard shard,
        string directory)
    {
        var (start, length) = shard.Range(pairs.Select(p => (double)p.Positive.Length + p.Negative.Length + 2).ToList());
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var statistics = DatasetVectors.Read(lm, pairs.Skip(start).Take(length).ToList(), options);
        var fingerprint = ShardArguments.Fingerprint(lm, null, [
            $"vector {DatasetVectors.MethodName(options.Method)} {options.Token} {options.Residual} {string.Join(',', DatasetVectors.HookPoints(lm, options))}",
            .. pairs.Select(p => $"pair {p.Positive}\u001f{p.Negative}")]);
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, shard.FileName(VectorMergeCommand.Stem, "safetensors"));
        statistics.Save(path, new Dictionary<string, string>
        {
            ["shard"] = shard.Index.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["shards"] = shard.Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["fingerprint"] = fingerprint,
            ["model"] = lm.Name,
        });
        context.Output.WriteLine($"shard {shard}: pairs {start}..{start + length - 1} of {pairs.Count} in {clock.Elapsed.TotalSeconds:F1} s; wrote {path}");
        return ExitCodes.Ok;
    }

    /// <summary>Prints what was saved: the path and each component's norms (or the same as JSON).</summary>
    internal static int Report(CliContext context, SteeringVector vector, string path, string modelName, SteeringChoice? choice, bool asJson)
    {
        var norms = vector.Components.ToDictionary(c => c.HookPoint, c => c.PositionNorms());
        if (asJson)
        {
            Json.Write(context.Output, new
            {
                path,
                model = modelName,
                steering = choice is null ? null : SteeringJson.Describe(choice),
                properties = vector.Metadata.Properties,
                position_norms = norms,
            });
            return ExitCodes.Ok;
        }
        if (choice is not null) SteeringJson.WriteNotes(context.Error, choice);
        context.Output.WriteLine($"wrote {path}");
        foreach (var c in vector.Components)
            context.Output.WriteLine($"  {c.HookPoint}: {(c.Mode == PositionMode.Front ? $"{c.Positions} positions, norms" : "every position, norm")} " +
                string.Join(", ", c.PositionNorms().Select(n => n.ToString("G5", System.Globalization.CultureInfo.InvariantCulture))) +
                (vector.Metadata.Properties.TryGetValue($"explained_variance.{c.HookPoint}", out var ev) ? $", explained variance {double.Parse(ev, System.Globalization.CultureInfo.InvariantCulture):P1}" : ""));
        return ExitCodes.Ok;
    }
}
