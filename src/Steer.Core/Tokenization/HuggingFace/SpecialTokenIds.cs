using System.Text.Json;

namespace Steer.Tokenization.HuggingFace;

/// <summary>
/// BOS, EOS and pad ids of a Hugging Face tokenizer, from tokenizer_config.json where it says, else tokenizer.json.
/// </summary>
/// <remarks>
/// BOS: tokenizer_config.json's add_bos_token decides when present (as transformers' Llama tokenizers do);
/// otherwise the post_processor: a TemplateProcessing whose single template starts with a special token adds that
/// token. A null <see cref="Bos"/> means Encode never adds one, even if the file names a bos_token.
/// EOS: tokenizer_config.json's eos_token, else the first of &lt;/s&gt;, &lt;|endoftext|&gt;, &lt;|end_of_text|&gt; the
/// tokenizer has. Pad: pad_token when it has an id, else EOS (as Hugging Face pads models that have no pad token).
/// </remarks>
internal sealed record SpecialTokenIds(int? Bos, int Eos, int Pad)
{
    private static readonly string[] EosFallbacks = ["</s>", "<|endoftext|>", "<|end_of_text|>"];

    /// <param name="config">The root of tokenizer_config.json, if there is one, with its file.</param>
    /// <param name="idOf">The id of a token's content (added tokens first, then the vocabulary), or null.</param>
    public static SpecialTokenIds Read(JsonElement tokenizer, TokenizerJsonFile tokenizerFile,
        (JsonElement Root, TokenizerJsonFile File)? config, Func<string, int?> idOf)
    {
        int? bos = BosFromPostProcessor(TokenizerJsonFile.Optional(tokenizer, "post_processor"), tokenizerFile);
        int? eos = null, pad = null;
        if (config is var (root, file))
        {
            if (root.ValueKind != JsonValueKind.Object)
                throw file.Error("the root is not a JSON object");
            if (file.Bool(root, "add_eos_token", false, "tokenizer_config"))
                throw file.Error("add_eos_token is true; Steer's Encode does not append EOS to a text");
            if (TokenizerJsonFile.Optional(root, "add_bos_token") is not null)
            {
                bos = null;
                if (file.Bool(root, "add_bos_token", false, "tokenizer_config"))
                    bos = TokenId(root, "bos_token", file, idOf) ?? throw file.Error("add_bos_token is true but bos_token is not set");
            }
            eos = TokenId(root, "eos_token", file, idOf);
            pad = TokenId(root, "pad_token", file, idOf);
        }
        eos ??= EosFallbacks.Select(idOf).FirstOrDefault(id => id is not null)
            ?? throw tokenizerFile.Error($"there is no EOS token: tokenizer_config.json names none and none of {string.Join(", ", EosFallbacks)} is in the tokenizer");
        return new SpecialTokenIds(bos, eos.Value, pad ?? eos.Value);
    }

    // A token in tokenizer_config.json is a string, an object with "content" (an AddedToken), or null.
    private static int? TokenId(JsonElement root, string name, TokenizerJsonFile file, Func<string, int?> idOf)
    {
        if (TokenizerJsonFile.Optional(root, name) is not { } value)
            return null;
        string content = value.ValueKind switch
        {
            JsonValueKind.String => value.GetString()!,
            JsonValueKind.Object => file.RequiredString(value, "content", name),
            _ => throw file.Error($"{name} is neither a string nor an object with \"content\""),
        };
        return idOf(content) ?? throw file.Error($"{name} \"{content}\" is not a token of tokenizer.json");
    }

    private static int? BosFromPostProcessor(JsonElement? element, TokenizerJsonFile file, string where = "post_processor")
    {
        if (element is not { } processor)
            return null;
        switch (file.TypeOf(processor, where))
        {
            case "ByteLevel":
                return null;
            case "Sequence":
                int? bos = null;
                int index = 0;
                foreach (var inner in file.Required(processor, "processors", JsonValueKind.Array, where).EnumerateArray())
                    bos = BosFromPostProcessor(inner, file, $"{where}.processors[{index++}]") ?? bos;
                return bos;
            case "TemplateProcessing":
                return BosFromTemplate(processor, file, where);
            case var other:
                throw file.Error($"{where} has type \"{other}\", which Steer does not support (supported: ByteLevel, TemplateProcessing, Sequence)");
        }
    }

    private static int? BosFromTemplate(JsonElement processor, TokenizerJsonFile file, string where)
    {
        var single = file.Required(processor, "single", JsonValueKind.Array, where).EnumerateArray().ToList();
        if (single.Count(p => TokenizerJsonFile.Optional(p, "Sequence") is not null) != 1)
            throw file.Error($"{where}.single does not hold the text ($A) exactly once");
        if (TokenizerJsonFile.Optional(single[^1], "SpecialToken") is not null)
            throw file.Error($"{where}.single appends a special token after the text, which Steer's Encode does not do");
        if (single.Count > 2 || TokenizerJsonFile.Optional(single[0], "SpecialToken") is not { } special)
            return single.Count == 1 ? null : throw file.Error($"{where}.single is not [special token, $A] or [$A]");

        string name = file.RequiredString(special, "id", $"{where}.single[0].SpecialToken");
        var entry = file.Required(file.Required(processor, "special_tokens", JsonValueKind.Object, where), name, JsonValueKind.Object, $"{where}.special_tokens");
        var ids = file.Required(entry, "ids", JsonValueKind.Array, $"{where}.special_tokens.{name}");
        if (ids.GetArrayLength() != 1 || ids[0].ValueKind != JsonValueKind.Number || !ids[0].TryGetInt32(out int id))
            throw file.Error($"{where}.special_tokens.{name}.ids is not one integer id");
        return id;
    }
}
