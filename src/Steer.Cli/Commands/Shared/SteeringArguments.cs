using System.CommandLine;
using System.Globalization;
using Steer.Cli.Parsing;
using Steer.Hooks;
using Steer.Steering;
using Steer.Steering.Files;
using Steer.Steering.Methods;
using Steer.Steering.Recipes;

namespace Steer.Cli.Commands.Shared;

/// <summary>What a command steers with: the steering vector, how it is applied, and where it came from.</summary>
internal sealed record SteeringChoice(SteeringVector? Vector, SteeringOptions Options, Recipe? Recipe, IReadOnlyList<string> Notes);

/// <summary>
/// The steering options shared by generate, score, compare and the eval commands: a prompt pair
/// (--plus/--minus/--layer/--coeff), repeatable single additions (--add), a recipe, or a saved vector.
/// All that are given are summed, each computed on the clean model.
/// </summary>
internal sealed class SteeringArguments
{
    private readonly Option<string?> _plus = new("--plus") { Description = "The prompt whose activations are added (BOS is prepended where the tokenizer adds one)." };
    private readonly Option<string?> _minus = new("--minus") { Description = "The prompt whose activations are subtracted; \"\" is BOS alone, padded. Omit for a single addition." };
    private readonly Option<string?> _plusIds = new("--plus-ids") { Description = "The added prompt as token ids \"1,495\", used literally (no BOS added)." };
    private readonly Option<string?> _minusIds = new("--minus-ids") { Description = "The subtracted prompt as token ids, used literally." };
    private readonly Option<string?> _layer = new("--layer") { Description = "Block L (blocks.L.hook_resid_pre), or a hook point name." };
    private readonly Option<double?> _coeff = NumberOption.OptionalDouble("--coeff", "The coefficient c of c·(h(plus) − h(minus)).");
    private readonly Option<int?> _padId = NumberOption.OptionalInt("--pad-id", "Token that right-pads the shorter prompt of a pair (default: the tokenizer's pair pad; GPT-2: the space).");
    private readonly Option<string> _location = new("--location") { Description = "Where the vector goes: front, mid or back.", DefaultValueFactory = _ => "front" };
    private readonly Option<string> _shortPrompt = new("--short-prompt") { Description = "A prompt shorter than the vector: error, pad (spaces after BOS) or truncate (the vector).", DefaultValueFactory = _ => "error" };
    private readonly Option<string[]> _add = new("--add") { Description = "A single addition \"PROMPT:COEFF@LAYER\"; repeatable.", AllowMultipleArgumentsPerToken = false };
    private readonly Option<string?> _recipe = new("--recipe") { Description = "A built-in recipe of the post (see 'steer recipes list') or a recipe file." };
    private readonly Option<string[]> _vector = new("--vector")
    {
        Description = "A steering vector file (.safetensors from 'steer vector', or a llama.cpp .gguf control vector); repeatable, summed.",
        AllowMultipleArgumentsPerToken = false,
    };
    private readonly Option<double?> _vectorScale = NumberOption.OptionalDouble("--vector-scale", "Multiplies every --vector file (llama.cpp's --control-vector-scaled).");
    private readonly Option<string?> _positions = new("--positions")
    {
        Description = "front (ActAdd: the vector's rows on the first prompt positions), prompt, generated, all (every position, " +
            "also every generated token) or assistant (a chat's reply: from the assistant header on). Default: each vector's own " +
            "(front for ActAdd, all for dataset and GGUF vectors).",
    };
    private readonly Option<bool> _skipSpecialTokens = new("--skip-special-tokens") { Description = "Never steer positions holding special tokens (chat template tokens such as <|im_start|>, BOS, EOS)." };
    private readonly Option<double?> _coeffRelative = NumberOption.OptionalDouble("--coeff-relative",
        "Scale every vector so that its norm is R times the mean residual norm at its hook point on the prompt (BOS excluded); prints the coefficient used.");
    private readonly Option<string> _operator = new("--operator") { Description = "add, or ablate (remove the residual's component along the vector).", DefaultValueFactory = _ => "add" };
    private readonly Option<string?> _recordLayer = new("--record-layer")
    {
        Description = "Record the --plus/--minus vector at block L0 (or a hook point) and add it at --layer (a sweep: at each of --layers): the post's layer transplant (\"0 -> 20\").",
    };
    private readonly Option<bool> _rescaleToLayer = new("--rescale-to-layer")
    {
        Description = "With --record-layer: multiply the vector by the geometric mean over positions >= 1 of ||v(injected)|| / ||v(recorded)||, v the pair's vector at each.",
    };
    private readonly Option<string?> _dims = new("--dims") { Description = "Steer only residual dimensions START:END." };

    /// <param name="sweep">
    /// For 'steer sweep': the layer and coefficient are swept, so --layer, --coeff, --add and --vector are not
    /// taken; --plus/--minus or --recipe give the additions (see <see cref="SweepRecipe"/>).
    /// </param>
    public SteeringArguments(bool sweep = false) => _sweep = sweep;

    private readonly bool _sweep;

    public void AddTo(Command command)
    {
        Option[] options = _sweep
            ? [_plus, _minus, _plusIds, _minusIds, _recordLayer, _rescaleToLayer, _padId, _location, _shortPrompt, _recipe, _dims]
            : [_plus, _minus, _plusIds, _minusIds, _layer, _coeff, _recordLayer, _rescaleToLayer, _padId, _location, _shortPrompt, _add, _recipe, _vector, _vectorScale, _positions, _skipSpecialTokens, _operator, _coeffRelative, _dims];
        foreach (var option in options) command.Add(option);
        CommandChecks.Add(command, result =>
        {
            // Whether an option was given, not its value: reading a value that failed to parse (--coeff abc) throws,
            // and its own error already says what is wrong.
            bool Given(Option option) => result.GetResult(option) is not null;
            var hasPlus = Given(_plus) || Given(_plusIds);
            if (Given(_plus) && Given(_plusIds)) result.AddError("give --plus or --plus-ids, not both");
            if (Given(_minus) && Given(_minusIds)) result.AddError("give --minus or --minus-ids, not both");
            if ((Given(_minus) || Given(_minusIds)) && !hasPlus)
                result.AddError("--minus needs --plus (or --plus-ids)");
            if (Given(_recordLayer) && !hasPlus)
                result.AddError("--record-layer transplants the --plus/--minus vector; give --plus (or --plus-ids)");
            if (Given(_rescaleToLayer) && !Given(_recordLayer))
                result.AddError("--rescale-to-layer rescales a transplanted vector; give --record-layer too");
            if (_sweep)
            {
                if (hasPlus && Given(_recipe)) result.AddError("give --plus/--minus or --recipe, not both");
                return;
            }
            if (hasPlus && (!Given(_layer) || !Given(_coeff)))
                result.AddError("--plus (or --plus-ids) needs --layer and --coeff");
            if (!hasPlus && (Given(_layer) || Given(_coeff)))
                result.AddError("--layer and --coeff go with --plus (use --add for single additions)");
        });
    }

    public Option RecipeOption => _recipe;

    public bool HasPlus(ParseResult parse) => parse.GetValue(_plus) is not null || parse.GetValue(_plusIds) is not null;

    public string? RecipeName(ParseResult parse) => parse.GetValue(_recipe);

    /// <summary>The recipe's prompt, tokens and model when --recipe names one, else null.</summary>
    public Recipe? Recipe(ParseResult parse) => parse.GetValue(_recipe) is { } name ? RecipeBook.Find(name) : null;

    /// <summary>Whether --coeff-relative is given (it needs a prompt to measure).</summary>
    public bool IsRelative(ParseResult parse) => parse.GetValue(_coeffRelative) is not null;

    public bool IsGiven(ParseResult parse) =>
        HasPlus(parse) || parse.GetValue(_add) is { Length: > 0 } || parse.GetValue(_recipe) is not null || parse.GetValue(_vector) is { Length: > 0 };

    /// <param name="recipe">A recipe named elsewhere (e.g. 'steer recipes run NAME'), added to the rest.</param>
    /// <param name="promptIds">The prompt being steered, which --coeff-relative measures; commands without one refuse that option.</param>
    public SteeringChoice Build(ParseResult parse, LanguageModel model, Recipe? recipe = null, IReadOnlyList<int>? promptIds = null)
    {
        var options = Options(parse);
        if (parse.GetValue(_recipe) is { } recipeName) recipe = RecipeBook.Find(recipeName);
        var scaled = recipe?.For(model, PadId(parse));
        IReadOnlyList<string> notes = scaled?.Notes ?? [];
        List<Addition> additions = [.. scaled?.Additions ?? []];
        additions.AddRange(Additions(parse, model));
        var vector = additions.Count == 0 ? null : ActAdd.Build(model, additions);
        if (vector is not null)
            notes = [.. notes, .. vector.Metadata.Properties.Where(p => p.Key.StartsWith("transplant_scale.", StringComparison.Ordinal))
                .Select(p => $"--rescale-to-layer: {p.Key["transplant_scale.".Length..].Replace("->", " -> ", StringComparison.Ordinal)}, " +
                    $"scaled by {double.Parse(p.Value, CultureInfo.InvariantCulture).ToString("G5", CultureInfo.InvariantCulture)}")];
        foreach (var path in parse.GetValue(_vector) ?? [])
        {
            var loaded = SteeringVectorFiles.Load(path, model);
            if (parse.GetValue(_vectorScale) is { } scale) loaded *= scale;
            vector = vector is null ? loaded : vector + loaded;
        }
        if (parse.GetValue(_coeffRelative) is { } ratio && vector is not null)
        {
            if (promptIds is null)
                throw new SteerException(ErrorKind.InvalidArgument, "--coeff-relative measures the prompt being steered; use it with generate, compare or score");
            (vector, var coefficients) = RelativeScale.Apply(model, vector, promptIds, ratio);
            notes = [.. notes, .. coefficients.Select(c => string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"--coeff-relative {ratio:G4}: {c.Key} scaled by {c.Value:G5}"))];
        }
        return new SteeringChoice(vector, options, recipe, notes);
    }

    /// <summary>--plus/--minus/--layer/--coeff (padded with --pad-id) and each --add, in that order.</summary>
    private IReadOnlyList<Addition> Additions(ParseResult parse, LanguageModel model)
    {
        var additions = new List<Addition>();
        if (HasPlus(parse))
            additions.Add(PlusMinus(parse) with
            {
                HookPoint = ActAdd.HookPointOf(model, parse.GetValue(_layer)!),
                Coeff = parse.GetValue(_coeff)!.Value,
                PadId = PadId(parse),
            });
        foreach (var add in parse.GetValue(_add) ?? [])
        {
            var (prompt, coeff, layer) = ParseAddition(add);
            additions.Add(new Addition { Plus = prompt, HookPoint = ActAdd.HookPointOf(model, layer), Coeff = coeff });
        }
        return additions;
    }

    /// <summary>--plus/--minus or their --*-ids forms, at layer 0 and coefficient 1 until the caller says.</summary>
    private Addition PlusMinus(ParseResult parse) => new()
    {
        // A block number or a hook point name, resolved against the model when the vector is built (as --layer is).
        RecordHookPoint = parse.GetValue(_recordLayer),
        RescaleToHookPoint = parse.GetValue(_rescaleToLayer),
        Plus = parse.GetValue(_plus),
        PlusIds = parse.GetValue(_plusIds) is { } plusIds ? InputArguments.ParseIds(plusIds, "--plus-ids") : null,
        Minus = parse.GetValue(_minus),
        MinusIds = parse.GetValue(_minusIds) is { } minusIds ? InputArguments.ParseIds(minusIds, "--minus-ids") : null,
        HookPoint = HookNames.ResidPre(0),
        Coeff = 1,
    };

    /// <summary>How the vector is applied: --location, --short-prompt, --pad-id and --dims.</summary>
    public SteeringOptions Options(ParseResult parse) => new()
    {
        Location = SteeringOptions.ParseLocation(parse.GetValue(_location)!, "--location"),
        Positions = parse.GetValue(_positions) is { } positions ? SteeringOptions.ParsePositions(positions, "--positions") : null,
        // A sweep's command has no --operator (it sweeps ActAdd additions), so the option may not be there to read.
        Operator = parse.GetValue(_operator) is { Length: > 0 } op ? SteeringOptions.ParseOperator(op, "--operator") : SteeringOperator.Add,
        ShortPrompt = SteeringOptions.ParseShortPrompt(parse.GetValue(_shortPrompt)!, "--short-prompt"),
        PadId = PadId(parse),
        Dimensions = parse.GetValue(_dims) is { } dims ? ParseDims(dims) : null,
        SkipSpecialTokens = parse.GetValue(_skipSpecialTokens),
    };

    /// <summary>--pad-id, or null for the model's default pad token.</summary>
    public int? PadId(ParseResult parse) => parse.GetValue(_padId);

    /// <summary>
    /// What a sweep places at each layer, as a recipe whose coefficients multiply the swept one: --plus/--minus
    /// at coefficient 1, or --recipe's additions with their own coefficients, or <paramref name="fallback"/>.
    /// </summary>
    public Recipe SweepRecipe(ParseResult parse, Recipe fallback) =>
        HasPlus(parse)
            ? new Recipe("plus-minus", [PlusMinus(parse) with { PadId = PadId(parse) }], "", 0, "")
            : Recipe(parse) ?? fallback;

    /// <summary>"PROMPT:COEFF@LAYER", split at the last ':' and '@' so that the prompt may contain both.</summary>
    public static (string Prompt, double Coeff, string Layer) ParseAddition(string text)
    {
        var at = text.LastIndexOf('@');
        var colon = at < 0 ? -1 : text.LastIndexOf(':', at);
        if (at < 0 || colon < 0 || !double.TryParse(text.AsSpan(colon + 1, at - colon - 1), NumberStyles.Float, CultureInfo.InvariantCulture, out var coeff))
            throw new SteerException(ErrorKind.InvalidArgument, $"--add \"{text}\": expected \"PROMPT:COEFF@LAYER\", e.g. \"Love:5@6\"");
        return (text[..colon], coeff, text[(at + 1)..]);
    }

    private static (int, int) ParseDims(string text)
    {
        var parts = text.Split(':');
        if (parts.Length == 2 && int.TryParse(parts[0], out var start) && int.TryParse(parts[1], out var end)) return (start, end);
        throw new SteerException(ErrorKind.InvalidArgument, $"--dims \"{text}\": expected START:END, e.g. 0:800");
    }
}
