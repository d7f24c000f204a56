using System.Text.Json;

namespace Steer.Tokenization.HuggingFace;

/// <summary>
/// The tokenizer files <c>steer debug make-model</c> writes beside a small Llama-family formula model, so that it
/// takes text as a real model does: byte-level BPE in Llama 3's form (its pre-tokenizer regex, a BOS template) with
/// one token per byte and no merges. Ids: 0 &lt;unk&gt; (unused), 1 &lt;s&gt; (BOS), 2 &lt;/s&gt; (EOS), 3 + b for byte b,
/// and reserved special tokens up to the model's vocabulary (as Llama 3 has), so that every id the model can
/// generate decodes.
/// </summary>
internal static class FormulaTokenizerFile
{
    public const int BosId = 1;
    public const int EosId = 2;
    public const int FirstByteId = 3;

    /// <summary>The smallest vocabulary that holds every byte.</summary>
    public const int MinimumVocabulary = FirstByteId + 256;

    /// <summary>The first reserved special token, which the formula chat template opens a turn with.</summary>
    public const int TurnStartId = MinimumVocabulary;

    /// <summary>
    /// ChatML's shape (Qwen's), with the first reserved token for <c>&lt;|im_start|&gt;</c> and EOS for <c>&lt;|im_end|&gt;</c>, so
    /// that a reply ends at the model's own stop id and chat works on a formula model without a download.
    /// </summary>
    public static readonly string ChatTemplate =
        $"{{% for message in messages %}}{{{{ '<|reserved_{TurnStartId}|>' + message['role'] + '\n' + message['content'] + '</s>' + '\n' }}}}{{% endfor %}}" +
        $"{{% if add_generation_prompt %}}{{{{ '<|reserved_{TurnStartId}|>assistant\n' }}}}{{% endif %}}";

    private const string Llama3Split =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    /// <summary>Writes tokenizer.json and tokenizer_config.json into <paramref name="directory"/>.</summary>
    public static void Write(string directory, int vocabularySize)
    {
        var vocab = new Dictionary<string, int> { ["<unk>"] = 0, ["<s>"] = BosId, ["</s>"] = EosId };
        for (var b = 0; b < 256; b++) vocab[TokenizerFiles.ToByteLevel([(byte)b])] = FirstByteId + b;
        for (var id = MinimumVocabulary; id < vocabularySize; id++) vocab[$"<|reserved_{id}|>"] = id;
        object Added(int id, string content) => new Dictionary<string, object>
        {
            ["id"] = id,
            ["content"] = content,
            ["single_word"] = false,
            ["lstrip"] = false,
            ["rstrip"] = false,
            ["normalized"] = false,
            ["special"] = true,
        };
        var tokenizer = new Dictionary<string, object?>
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = new[] { Added(0, "<unk>"), Added(BosId, "<s>"), Added(EosId, "</s>") }
                .Concat(Enumerable.Range(MinimumVocabulary, vocabularySize - MinimumVocabulary).Select(id => Added(id, $"<|reserved_{id}|>")))
                .ToArray(),
            ["normalizer"] = null,
            ["pre_tokenizer"] = new Dictionary<string, object>
            {
                ["type"] = "Sequence",
                ["pretokenizers"] = new object[]
                {
                    new Dictionary<string, object> { ["type"] = "Split", ["pattern"] = new Dictionary<string, string> { ["Regex"] = Llama3Split }, ["behavior"] = "Isolated", ["invert"] = false },
                    new Dictionary<string, object> { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = false },
                },
            },
            ["post_processor"] = new Dictionary<string, object>
            {
                ["type"] = "TemplateProcessing",
                ["single"] = new object[] { Special("<s>"), Sequence("A") },
                ["pair"] = new object[] { Special("<s>"), Sequence("A"), Special("<s>"), Sequence("B") },
                ["special_tokens"] = new Dictionary<string, object>
                {
                    ["<s>"] = new Dictionary<string, object> { ["id"] = "<s>", ["ids"] = new[] { BosId }, ["tokens"] = new[] { "<s>" } },
                },
            },
            ["decoder"] = new Dictionary<string, object> { ["type"] = "ByteLevel", ["add_prefix_space"] = true, ["trim_offsets"] = true, ["use_regex"] = true },
            ["model"] = new Dictionary<string, object?>
            {
                ["type"] = "BPE",
                ["dropout"] = null,
                ["unk_token"] = null,
                ["continuing_subword_prefix"] = null,
                ["end_of_word_suffix"] = null,
                ["fuse_unk"] = false,
                ["byte_fallback"] = false,
                ["ignore_merges"] = false,
                ["vocab"] = vocab,
                ["merges"] = Array.Empty<string>(),
            },
        };
        var config = new Dictionary<string, object?>
        {
            ["add_bos_token"] = true,
            ["add_eos_token"] = false,
            ["bos_token"] = "<s>",
            ["eos_token"] = "</s>",
            ["unk_token"] = "<unk>",
            ["tokenizer_class"] = "PreTrainedTokenizerFast",
        };
        if (vocabularySize > TurnStartId) config["chat_template"] = ChatTemplate;
        var options = new JsonSerializerOptions { WriteIndented = true };
        File.WriteAllText(Path.Combine(directory, "tokenizer.json"), JsonSerializer.Serialize(tokenizer, options));
        File.WriteAllText(Path.Combine(directory, "tokenizer_config.json"), JsonSerializer.Serialize(config, options));
    }

    private static object Special(string id) =>
        new Dictionary<string, object> { ["SpecialToken"] = new Dictionary<string, object> { ["id"] = id, ["type_id"] = 0 } };

    private static object Sequence(string id) =>
        new Dictionary<string, object> { ["Sequence"] = new Dictionary<string, object> { ["id"] = id, ["type_id"] = 0 } };
}
