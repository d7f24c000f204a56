using System.Text.Json;
using System.Text.RegularExpressions;

namespace Steer.Tokenization.HuggingFace;

/// <summary>
/// tokenizer.json's <c>pre_tokenizer</c>: the steps that cut a text segment into the words BPE encodes separately.
/// None (Llama 2's legacy files) leaves the whole segment one word.
/// </summary>
internal sealed class PreTokenizerPipeline
{
    private readonly PreTokenizerStep[] _steps;

    private PreTokenizerPipeline(PreTokenizerStep[] steps, bool byteLevel)
    {
        _steps = steps;
        ByteLevel = byteLevel;
    }

    /// <summary>Whether the words come out in the byte-level alphabet (the last step is ByteLevel).</summary>
    public bool ByteLevel { get; }

    /// <summary>Appends the words of <paramref name="segment"/> to <paramref name="output"/>.</summary>
    public void Apply(string segment, bool atTextStart, List<string> output)
    {
        List<string> pieces = [segment];
        foreach (var step in _steps)
        {
            var next = new List<string>(pieces.Count);
            for (int k = 0; k < pieces.Count; k++)
                step.Split(pieces[k], atTextStart && k == 0, next);
            pieces = next;
        }
        output.AddRange(pieces);
    }

    public static PreTokenizerPipeline Read(JsonElement? element, TokenizerJsonFile file)
    {
        var steps = new List<PreTokenizerStep>();
        if (element is { } pre)
            AddSteps(pre, "pre_tokenizer", file, steps);
        int byteLevelAt = steps.FindIndex(s => s is ByteLevelStep);
        if (byteLevelAt >= 0 && byteLevelAt != steps.Count - 1)
            throw file.Error("pre_tokenizer has steps after ByteLevel, which Steer does not support");
        return new PreTokenizerPipeline([.. steps], byteLevelAt >= 0);
    }

    private static void AddSteps(JsonElement element, string where, TokenizerJsonFile file, List<PreTokenizerStep> steps)
    {
        switch (file.TypeOf(element, where))
        {
            case "Sequence":
                int index = 0;
                foreach (var inner in file.Required(element, "pretokenizers", JsonValueKind.Array, where).EnumerateArray())
                    AddSteps(inner, $"{where}.pretokenizers[{index++}]", file, steps);
                break;
            case "Split":
                steps.Add(ReadSplit(element, where, file));
                break;
            case "ByteLevel":
                steps.Add(new ByteLevelStep(file.Bool(element, "add_prefix_space", true, where), file.Bool(element, "use_regex", true, where)));
                break;
            case "Metaspace":
                steps.Add(new MetaspaceStep(ReadReplacement(element, where, file), ReadPrependScheme(element, where, file), file.Bool(element, "split", true, where)));
                break;
            case var other:
                throw file.Error($"{where} has type \"{other}\", which Steer does not support (supported: Sequence, Split, ByteLevel, Metaspace)");
        }
    }

    private static RegexSplitStep ReadSplit(JsonElement element, string where, TokenizerJsonFile file)
    {
        if (file.Bool(element, "invert", false, where))
            throw file.Error($"{where}.invert is true, which Steer does not support");
        string behaviorName = file.RequiredString(element, "behavior", where);
        if (!Enum.TryParse<SplitBehavior>(behaviorName, ignoreCase: false, out var behavior))
            throw file.Error($"{where}.behavior is \"{behaviorName}\", not one of {string.Join(", ", Enum.GetNames<SplitBehavior>())}");

        var pattern = file.Required(element, "pattern", JsonValueKind.Object, where);
        string regex;
        if (TokenizerJsonFile.Optional(pattern, "String") is { ValueKind: JsonValueKind.String } text)
        {
            regex = Regex.Escape(text.GetString()!);
        }
        else if (TokenizerJsonFile.Optional(pattern, "Regex") is { ValueKind: JsonValueKind.String } oniguruma)
        {
            try
            {
                regex = OnigurumaTranslator.Translate(oniguruma.GetString()!);
            }
            catch (NotSupportedException e)
            {
                throw file.Error($"{where}.pattern.Regex cannot be translated to .NET: {e.Message}");
            }
        }
        else
        {
            throw file.Error($"{where}.pattern is neither {{\"String\": ...}} nor {{\"Regex\": ...}}");
        }
        try
        {
            return new RegexSplitStep(new CodePointRegex(new Regex(regex, RegexOptions.CultureInvariant)), behavior);
        }
        catch (ArgumentException e)
        {
            throw file.Error($"{where}.pattern is not a valid regex: {e.Message}");
        }
    }

    internal static char ReadReplacement(JsonElement element, string where, TokenizerJsonFile file)
    {
        string replacement = file.RequiredString(element, "replacement", where);
        if (replacement.Length != 1)
            throw file.Error($"{where}.replacement is \"{replacement}\", not one character");
        return replacement[0];
    }

    internal static PrependScheme ReadPrependScheme(JsonElement element, string where, TokenizerJsonFile file)
    {
        // Files from before prepend_scheme existed say add_prefix_space instead.
        return file.OptionalString(element, "prepend_scheme", where) switch
        {
            "always" => PrependScheme.Always,
            "first" => PrependScheme.First,
            "never" => PrependScheme.Never,
            null => file.Bool(element, "add_prefix_space", true, where) ? PrependScheme.Always : PrependScheme.Never,
            var other => throw file.Error($"{where}.prepend_scheme is \"{other}\", not always, first or never"),
        };
    }
}
