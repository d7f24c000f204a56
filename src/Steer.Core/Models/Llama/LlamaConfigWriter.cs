namespace Steer.Models.Llama;

/// <summary>The fields of a Hugging Face config.json that every Llama-family config has.</summary>
internal static class LlamaConfigWriter
{
    public static Dictionary<string, object?> Common(LlamaConfig c, string className, string torchDType)
    {
        var json = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["architectures"] = new[] { className },
            ["model_type"] = c.ModelType,
            ["vocab_size"] = c.VocabSize,
            ["hidden_size"] = c.ModelDim,
            ["intermediate_size"] = c.MlpDim,
            ["num_hidden_layers"] = c.Layers,
            ["num_attention_heads"] = c.Heads,
            ["num_key_value_heads"] = c.KvHeads,
            ["head_dim"] = c.HeadDim,
            ["hidden_act"] = "silu",
            ["max_position_embeddings"] = c.ContextLength,
            ["rms_norm_eps"] = c.RmsNormEps,
            ["rope_theta"] = c.RopeTheta,
            ["rope_scaling"] = c.RopeScaling is { } s
                ? s.Type == "llama3"
                    ? new Dictionary<string, object?>
                    {
                        ["rope_type"] = "llama3",
                        ["factor"] = s.Factor,
                        ["low_freq_factor"] = s.LowFreqFactor,
                        ["high_freq_factor"] = s.HighFreqFactor,
                        ["original_max_position_embeddings"] = s.OriginalMaxPositionEmbeddings,
                    }
                    : new Dictionary<string, object?> { ["rope_type"] = s.Type, ["factor"] = s.Factor }
                : null,
            ["tie_word_embeddings"] = c.TieWordEmbeddings,
            ["bos_token_id"] = c.BosTokenId,
            ["eos_token_id"] = c.EosTokenIds.Count == 1 ? c.EosTokenIds[0] : c.EosTokenIds.Count == 0 ? null : c.EosTokenIds,
            ["torch_dtype"] = torchDType,
        };
        return json;
    }

    /// <summary>Qwen2's and Qwen3's window fields: use_sliding_window, and layer_types naming each layer's attention.</summary>
    public static void QwenWindows(LlamaConfig c, IDictionary<string, object?> json)
    {
        var windowed = c.WindowedLayers.Any(w => w);
        json["use_sliding_window"] = windowed;
        json["sliding_window"] = c.SlidingWindow;
        json["max_window_layers"] = windowed ? c.WindowedLayers.ToList().IndexOf(true) : c.Layers;
        if (windowed) json["layer_types"] = c.WindowedLayers.Select(w => w ? "sliding_attention" : "full_attention").ToArray();
    }
}
