namespace Steer.Models.Llama;

/// <summary>
/// RoPE frequency scaling, from config.json's <c>rope_scaling</c>: <c>linear</c> divides every frequency by
/// <see cref="Factor"/>; <c>llama3</c> divides only the low frequencies and blends the band between.
/// </summary>
public sealed record RopeScaling(string Type, double Factor, double LowFreqFactor = 1, double HighFreqFactor = 4,
    int OriginalMaxPositionEmbeddings = 8192);

/// <summary>
/// The shape and semantics of a Llama-family decoder (Llama, Mistral, Qwen2, Qwen3), resolved from a Hugging Face
/// <c>config.json</c> by the architecture that reads it: each family's defaults are applied then, so the model
/// code sees explicit choices (which biases exist, which layers use a sliding window) instead of family names.
/// </summary>
public sealed record LlamaConfig : IModelConfig
{
    /// <summary>config.json's model_type: llama, mistral, qwen2 or qwen3.</summary>
    public required string ModelType { get; init; }
    public int VocabSize { get; init; } = 32000;
    /// <summary>hidden_size.</summary>
    public int ModelDim { get; init; } = 4096;
    /// <summary>intermediate_size: the SwiGLU width.</summary>
    public int MlpDim { get; init; } = 11008;
    public int Layers { get; init; } = 32;
    public int Heads { get; init; } = 32;
    /// <summary>num_key_value_heads: query head h reads key/value head h / (Heads / KvHeads).</summary>
    public int KvHeads { get; init; } = 32;
    /// <summary>head_dim; may differ from ModelDim / Heads (Qwen3), and sets the attention scale 1/√HeadDim.</summary>
    public int HeadDim { get; init; } = 128;
    public double RmsNormEps { get; init; } = 1e-6;
    public double RopeTheta { get; init; } = 10000;
    public RopeScaling? RopeScaling { get; init; }
    /// <summary>max_position_embeddings: Steer refuses longer sequences (Hugging Face does not enforce it).</summary>
    public int ContextLength { get; init; } = 4096;
    public bool TieWordEmbeddings { get; init; }
    /// <summary>Bias on q_proj, k_proj and v_proj.</summary>
    public bool QkvBias { get; init; }
    /// <summary>Bias on o_proj.</summary>
    public bool OutputBias { get; init; }
    /// <summary>Bias on gate_proj, up_proj and down_proj.</summary>
    public bool MlpBias { get; init; }
    /// <summary>Qwen3's per-head RMSNorm of queries and keys, before RoPE.</summary>
    public bool QkNorm { get; init; }
    /// <summary>Keys a query on a windowed layer sees (its own included); null when no layer is windowed.</summary>
    public int? SlidingWindow { get; init; }
    /// <summary>Which layers use <see cref="SlidingWindow"/>; empty means none.</summary>
    public IReadOnlyList<bool> WindowedLayers { get; init; } = [];
    public int? BosTokenId { get; init; }
    /// <summary>eos_token_id: one id or, in Llama 3 Instruct configs, several; each ends a completion.</summary>
    public IReadOnlyList<int> EosTokenIds { get; init; } = [];
    /// <summary>torch_dtype: the dtype the checkpoint is stored in.</summary>
    public string? TorchDType { get; init; }

    public ModelShape Shape => new(Layers, ModelDim, Heads, VocabSize, ContextLength);

    /// <summary>Heads sharing one key/value head.</summary>
    public int QueriesPerKvHead => Heads / KvHeads;

    /// <summary>The sliding window of <paramref name="layer"/>, or null for full causal attention.</summary>
    public int? WindowOf(int layer) => layer < WindowedLayers.Count && WindowedLayers[layer] ? SlidingWindow : null;

    public LlamaConfig Validate()
    {
        void Require(bool ok, string message)
        {
            if (!ok) throw new SteerException(ErrorKind.InvalidModel, "config.json: " + message);
        }
        Require(VocabSize > 0, $"vocab_size must be positive, got {VocabSize}");
        Require(ModelDim > 0, $"hidden_size must be positive, got {ModelDim}");
        Require(MlpDim > 0, $"intermediate_size must be positive, got {MlpDim}");
        Require(Layers > 0, $"num_hidden_layers must be positive, got {Layers}");
        Require(Heads > 0, $"num_attention_heads must be positive, got {Heads}");
        Require(KvHeads > 0 && Heads % KvHeads == 0,
            $"num_key_value_heads ({KvHeads}) must be positive and divide num_attention_heads ({Heads})");
        Require(HeadDim > 0 && HeadDim % 2 == 0, $"head_dim must be a positive even number (RoPE rotates pairs), got {HeadDim}");
        Require(ContextLength > 0, $"max_position_embeddings must be positive, got {ContextLength}");
        Require(RmsNormEps > 0 && double.IsFinite(RmsNormEps), $"rms_norm_eps must be positive, got {RmsNormEps}");
        Require(RopeTheta > 0 && double.IsFinite(RopeTheta), $"rope_theta must be positive, got {RopeTheta}");
        Require(SlidingWindow is null or > 0, $"sliding_window must be positive or null, got {SlidingWindow}");
        Require(WindowedLayers.Count == 0 || WindowedLayers.Count == Layers,
            $"layer_types has {WindowedLayers.Count} entries but there are {Layers} layers");
        Require(!WindowedLayers.Any(w => w) || SlidingWindow is not null, "a layer uses sliding attention but sliding_window is null");
        if (RopeScaling is { } s)
        {
            Require(s.Type is "linear" or "llama3", $"rope_scaling type '{s.Type}' is not supported; supported: default, linear, llama3");
            Require(s.Factor > 0 && double.IsFinite(s.Factor), $"rope_scaling.factor must be positive, got {s.Factor}");
            if (s.Type == "llama3")
            {
                Require(s.HighFreqFactor > s.LowFreqFactor && s.LowFreqFactor > 0,
                    $"rope_scaling needs 0 < low_freq_factor < high_freq_factor, got {s.LowFreqFactor} and {s.HighFreqFactor}");
                Require(s.OriginalMaxPositionEmbeddings > 0,
                    $"rope_scaling.original_max_position_embeddings must be positive, got {s.OriginalMaxPositionEmbeddings}");
            }
        }
        Require(EosTokenIds.All(id => id >= 0), "eos_token_id must not be negative");
        return this;
    }

    IModelConfig IModelConfig.Validate() => Validate();

    /// <summary>
    /// A copy with new numbers, for <c>steer debug make-model</c>. Changing the width or the heads keeps head_dim =
    /// hidden_size / heads when the config had that, and shares keys and values between as few heads as still divide.
    /// </summary>
    public IModelConfig Reshape(int? layers = null, int? modelDim = null, int? heads = null, int? contextLength = null)
    {
        var newLayers = layers ?? Layers;
        var newDim = modelDim ?? ModelDim;
        var newHeads = heads ?? Heads;
        var headDim = HeadDim == ModelDim / Heads && newHeads > 0 && newDim % newHeads == 0 ? newDim / newHeads : HeadDim;
        var kvHeads = newHeads > 0 && newHeads % KvHeads == 0 ? KvHeads : newHeads;
        return this with
        {
            Layers = newLayers,
            ModelDim = newDim,
            Heads = newHeads,
            KvHeads = kvHeads,
            HeadDim = headDim,
            ContextLength = contextLength ?? ContextLength,
            WindowedLayers = WindowedLayers.Count == 0 ? [] : [.. Enumerable.Range(0, newLayers).Select(i => WindowedLayers[Math.Min(i, WindowedLayers.Count - 1)])],
        };
    }

    public bool Equals(LlamaConfig? other) => other is not null && ToString() == other.ToString()
        && WindowedLayers.SequenceEqual(other.WindowedLayers) && EosTokenIds.SequenceEqual(other.EosTokenIds);

    public override int GetHashCode() => HashCode.Combine(ModelType, ModelDim, Layers, Heads, VocabSize);
}
