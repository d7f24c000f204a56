using System.Text;
using System.Text.Json;

namespace Steer.Tokenization.HuggingFace;

/// <summary>
/// tokenizer.json's <c>normalizer</c>: the Unicode forms (Qwen2 uses NFC) and the Prepend + Replace pair with which
/// the legacy Llama 2 files turn "a b" into "▁a▁b". Applied to each text segment between added tokens.
/// </summary>
internal sealed class TextNormalizer
{
    private readonly Func<string, string>[] _steps;

    private TextNormalizer(Func<string, string>[] steps) => _steps = steps;

    public string Apply(string text)
    {
        foreach (var step in _steps)
            text = step(text);
        return text;
    }

    /// <summary>The normalizer described by <paramref name="element"/>, or null for none.</summary>
    public static TextNormalizer? Read(JsonElement? element, TokenizerJsonFile file)
    {
        if (element is not { } normalizer)
            return null;
        var steps = new List<Func<string, string>>();
        AddSteps(normalizer, "normalizer", file, steps);
        return new TextNormalizer([.. steps]);
    }

    private static void AddSteps(JsonElement element, string where, TokenizerJsonFile file, List<Func<string, string>> steps)
    {
        switch (file.TypeOf(element, where))
        {
            case "Sequence":
                int index = 0;
                foreach (var inner in file.Required(element, "normalizers", JsonValueKind.Array, where).EnumerateArray())
                    AddSteps(inner, $"{where}.normalizers[{index++}]", file, steps);
                break;
            case "NFC":
                steps.Add(s => s.Normalize(NormalizationForm.FormC));
                break;
            case "NFD":
                steps.Add(s => s.Normalize(NormalizationForm.FormD));
                break;
            case "NFKC":
                steps.Add(s => s.Normalize(NormalizationForm.FormKC));
                break;
            case "NFKD":
                steps.Add(s => s.Normalize(NormalizationForm.FormKD));
                break;
            case "Prepend":
                string prefix = file.RequiredString(element, "prepend", where);
                steps.Add(s => s.Length == 0 ? s : prefix + s); // Hugging Face leaves an empty text empty
                break;
            case "Replace":
                string pattern = file.StringPattern(element, where), content = file.RequiredString(element, "content", where);
                if (pattern.Length == 0)
                    throw file.Error($"{where} replaces the empty string");
                steps.Add(s => s.Replace(pattern, content, StringComparison.Ordinal));
                break;
            case var other:
                throw file.Error($"{where} has type \"{other}\", which Steer does not support (supported: Sequence, NFC, NFD, NFKC, NFKD, Prepend, Replace with a string pattern)");
        }
    }
}
