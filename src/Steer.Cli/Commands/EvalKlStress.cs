using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Steer.Cli.Commands.Shared;
using Steer.Cli.Parsing;
using Steer.Evaluation;
using Steer.Evaluation.Reports;
using Steer.Evaluation.Sharding;
using Steer.Steering;
using Steer.Steering.Files;
using Steer.Steering.Methods;

namespace Steer.Cli.Commands;

/// <summary>
/// <c>steer eval kl --prompts [FILE] [--from-position 3] [--control random|FILE] [--seed S] [steering] [--plot F] [--shard I/N --out DIR] [--json]</c>:
/// the post's KL stress test (<see cref="KlStressTest"/>), the steering vector against a control over many prompts.
/// </summary>
internal sealed class EvalKlStress
{
    /// <summary>What the output says besides the rows; every shard's is the same.</summary>
    internal sealed record Header(string Model, int Prompts, int FromPosition, string ControlText, JsonElement Control, JsonElement? Steering, string SteeringText);

    private const string Direction = "KL(unsteered || run) / H(unsteered)";
    private const int ExcerptLength = 40;

    private readonly Option<string?> _prompts = new("--prompts")
    {
        Description = "Run the post's KL stress test over these prompts: a text file (one prompt per line) or .jsonl ({\"prompt\": ...} " +
            "or {\"text\": ...} per line); without FILE, Steer's built-in prompts (54, of many kinds).",
        Arity = ArgumentArity.ZeroOrOne,
        HelpName = "FILE",
    };
    private readonly Option<int> _from = NumberOption.Int("--from-position", "With --prompts: the first position whose next-token distribution is compared (BOS is 0).",
        KlStressTest.DefaultFromPosition);
    private readonly Option<string> _control = new("--control")
    {
        Description = "With --prompts: the control vector, 'random' (N(0, 1) rescaled to the steering vector's per-position norms, BOS row zero) " +
            "or a vector file; applied with the same steering options.",
        DefaultValueFactory = _ => "random",
        HelpName = "random|FILE",
    };
    private readonly Option<int?> _seed = NumberOption.OptionalInt("--seed", "With --control random: the seed of the random vector (0 when not given).");
    private readonly ShardArguments _sharding = new("prompts (contiguous runs, balanced by length)");

    /// <param name="single">The single-prompt comparison's own options, which do not go with --prompts.</param>
    public void AddTo(Command command, IReadOnlyList<Option> single)
    {
        command.Add(_prompts);
        command.Add(_from);
        command.Add(_control);
        command.Add(_seed);
        _sharding.AddTo(command);
        CommandChecks.Add(command, result =>
        {
            bool Given(Option option) => result.GetResult(option) is { Implicit: false };
            if (Given(_prompts))
            {
                if (single.FirstOrDefault(Given) is { } other)
                    result.AddError($"--prompts runs the stress test over a prompt list; {other.Name} belongs to the single-prompt comparison");
                if (Given(_seed) && Given(_control) && result.GetValue(_control) != "random") result.AddError("--seed draws the random control; it does not go with --control FILE");
                return;
            }
            Option[] stressOnly = [_from, _control, _seed, .. _sharding.Options];
            if (stressOnly.FirstOrDefault(Given) is { } given)
                result.AddError($"{given.Name} goes with --prompts (the KL stress test)");
        });
    }

    public bool IsGiven(ParseResult parse) => parse.GetResult(_prompts) is not null;

    public int Run(CliContext context, ParseResult parse, ModelArguments model, SteeringArguments steering, string? plotPath, bool asJson)
    {
        var (shard, directory) = _sharding.Parse(parse);
        var from = parse.GetValue(_from);
        if (from < 0) throw new SteerException(ErrorKind.InvalidArgument, $"--from-position must not be negative, got {from}");
        if (plotPath is not null && shard is not null)
            throw new SteerException(ErrorKind.InvalidArgument, "--plot draws every prompt, so it goes with the whole run or with 'steer eval merge', not with --shard");
        var allPrompts = parse.GetValue(_prompts) is { } path ? KlStressPrompts.FromFile(path) : KlStressPrompts.BuiltIn();
        var (first, prompts) = shard is null ? (0, allPrompts) : KlStressPrompts.ShardOf(allPrompts, shard);
        var controlName = parse.GetValue(_control)!;
        if (controlName != "random" && !File.Exists(controlName))
            throw new SteerException(ErrorKind.NotFound, $"--control {controlName}: no such vector file (or give 'random')");
        using var lm = model.Load(parse, EvalSteering.ModelFallback(steering, parse));
        var choice = EvalSteering.Build(steering, parse, lm);
        var seed = parse.GetValue(_seed) ?? 0;
        var control = controlName == "random" ? RandomControl.RandomLike(choice.Vector!, seed) : SteeringVectorFiles.Load(controlName, lm);
        using var progress = TokenProgress.ForwardPasses(lm, context);
        var result = KlStressTest.Measure(lm, prompts, choice.Vector!, control, choice.Options, from, first);
        progress.Dispose();
        var header = new Header(lm.Name, allPrompts.Count, from,
            controlName == "random" ? $"random, per-position norms of the steering vector, seed {seed}" + (parse.GetResult(_control) is { Implicit: false } ? "" : " (default)")
                : controlName,
            EvalShardFile.ToElement(controlName == "random" ? new { kind = "random", seed } : new { kind = "file", path = controlName }),
            SteeringJson.Describe(choice) is { } described ? EvalShardFile.ToElement(described) : null, EvalSteering.Describe(choice));
        if (shard is not null || !asJson) SteeringJson.WriteNotes(context.Error, choice);
        if (shard is null) return Print(context, header, result, asJson, plotPath);
        var fingerprint = ShardArguments.Fingerprint(lm, choice.Vector, [
            $"kl stress from {from} {choice.Options}", $"control {ShardArguments.Fingerprint(lm, control, [])}", .. allPrompts.Select(p => $"prompt {p}")]);
        var data = new { rows = result.Rows, skipped = result.Skipped };
        var written = new EvalShardFile("kl", shard, fingerprint, EvalShardFile.ToElement(header), EvalShardFile.ToElement(data)).Write(directory!);
        context.Output.WriteLine($"shard {shard}: {prompts.Count} of {allPrompts.Count} prompts; wrote {written}");
        return ExitCodes.Ok;
    }

    /// <summary>Joins the shards' rows and skips in order and prints what one process prints.</summary>
    internal static int Merge(CliContext context, IReadOnlyList<EvalShardFile> shards, bool asJson, string? plotPath)
    {
        var parts = shards.Select(s => new KlStressResult(
            s.Data.GetProperty("rows").EnumerateArray().Select(r => new KlStressRow(r.GetProperty("Index").GetInt32(), r.GetProperty("Prompt").GetString()!,
                r.GetProperty("Tokens").GetInt32(), r.GetProperty("Positions").GetInt32(), r.GetProperty("KlSteered").GetDouble(),
                r.GetProperty("KlControl").GetDouble(), r.GetProperty("Entropy").GetDouble())).ToList(),
            s.Data.GetProperty("skipped").EnumerateArray().Select(r => new KlStressSkip(r.GetProperty("Index").GetInt32(), r.GetProperty("Prompt").GetString()!,
                r.GetProperty("Tokens").GetInt32(), r.GetProperty("Reason").GetString()!)).ToList())).ToList();
        return Print(context, shards[0].HeaderAs<Header>(), KlStressResult.Combine(parts), asJson, plotPath);
    }

    private static int Print(CliContext context, Header header, KlStressResult result, bool asJson, string? plotPath)
    {
        var summary = result.Summary ?? throw new SteerException(ErrorKind.InvalidArgument,
            $"none of the {header.Prompts} prompts could be measured; the first was skipped because: {result.Skipped[0].Reason}");
        if (plotPath is not null)
            Charts.SaveAs(Charts.ScatterWithDiagonal($"KL stress test: {summary.SteeredBelowControl} of {summary.Prompts} prompts below y = x",
                "KL(unsteered || control) / H(unsteered)", "KL(unsteered || steered) / H(unsteered)", result.Rows.Select(r => (r.NormalisedControl, r.NormalisedSteered)).ToList()), plotPath);
        if (asJson)
        {
            Json.Write(context.Output, new
            {
                model = header.Model,
                measure = $"{Direction}, each the mean over positions >= {header.FromPosition}",
                from_position = header.FromPosition,
                control = header.Control,
                steering = header.Steering,
                prompts = result.Rows.Select(r => new
                {
                    index = r.Index,
                    prompt = r.Prompt,
                    tokens = r.Tokens,
                    positions = r.Positions,
                    kl_steered = r.KlSteered,
                    kl_control = r.KlControl,
                    entropy = r.Entropy,
                    normalised_steered = r.NormalisedSteered,
                    normalised_control = r.NormalisedControl,
                }),
                skipped = result.Skipped.Select(s => new { index = s.Index, prompt = s.Prompt, tokens = s.Tokens, reason = s.Reason }),
                summary = new
                {
                    prompts = summary.Prompts,
                    skipped = summary.Skipped,
                    mean_steered = summary.MeanSteered,
                    median_steered = summary.MedianSteered,
                    mean_control = summary.MeanControl,
                    median_control = summary.MedianControl,
                    steered_below_control = summary.SteeredBelowControl,
                    share_steered_below_control = summary.ShareSteeredBelowControl,
                },
            });
            return ExitCodes.Ok;
        }
        var output = context.Output;
        output.WriteLine($"steering: {header.SteeringText}");
        output.WriteLine($"control: {header.ControlText}");
        output.WriteLine($"per prompt: {Direction}, mean over positions >= {header.FromPosition}");
        TextTable.Write(output, ["#", "prompt", "tokens", "steered", "control"],
            result.Rows.Select(r => (IReadOnlyList<string>)[I(r.Index), Excerpt(r.Prompt), I(r.Tokens), G(r.NormalisedSteered), G(r.NormalisedControl)]),
            textColumns: 2, width: context.Width);
        output.WriteLine();
        output.WriteLine($"{summary.Prompts} prompts measured, {summary.Skipped} skipped");
        TextTable.Write(output, ["", "steered", "control"], [
            ["mean", G(summary.MeanSteered), G(summary.MeanControl)],
            ["median", G(summary.MedianSteered), G(summary.MedianControl)]]);
        output.WriteLine($"prompts the steering moves less than the control: {summary.SteeredBelowControl} of {summary.Prompts} " +
            $"({(100 * summary.ShareSteeredBelowControl).ToString("F0", CultureInfo.InvariantCulture)}%)");
        if (result.Skipped.Count == 0) return ExitCodes.Ok;
        output.WriteLine();
        output.WriteLine("skipped:");
        foreach (var skip in result.Skipped)
        {
            output.WriteLine($"  #{skip.Index} ({skip.Tokens} tokens with BOS): {skip.Reason}");
            output.WriteLine($"      {Excerpt(skip.Prompt)}");
        }
        if (result.Skipped.Any(s => s.Reason.StartsWith("shorter than", StringComparison.Ordinal)))
            output.WriteLine("(--short-prompt pad or truncate measures prompts shorter than a vector)");
        return ExitCodes.Ok;
    }

    /// <summary>The prompt on one line, cut to <see cref="ExcerptLength"/> columns.</summary>
    private static string Excerpt(string prompt)
    {
        var line = Display.Quote(prompt)[1..^1];
        return line.Length <= ExcerptLength ? line : line[..(ExcerptLength - 1)] + "…";
    }

    private static string I(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string G(double value) => value.ToString("G4", CultureInfo.InvariantCulture);
}
