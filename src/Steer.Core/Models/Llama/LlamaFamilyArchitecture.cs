using System.Text.Json;
using System.Text.RegularExpressions;
using Steer.Tokenization;
using Steer.Tokenization.HuggingFace;
using static TorchSharp.torch;

namespace Steer.Models.Llama;

/// <summary>
/// What the Llama-family decoders share (RMSNorm, rotate-half RoPE, grouped-query attention, SwiGLU, Hugging Face
/// tensor names). Each family (Llama, Mistral, Qwen2, Qwen3) is a subclass in its own folder that says how its
/// config.json maps onto <see cref="LlamaConfig"/>: which biases exist, where sliding windows apply, its defaults.
/// </summary>
internal abstract partial class LlamaFamilyArchitecture : IArchitecture
{
    /// <summary>config.json's model_type.</summary>
    public abstract string ModelType { get; }

    public abstract string Name { get; }

    /// <summary>config.json's <c>architectures</c> entry, e.g. LlamaForCausalLM.</summary>
    protected abstract string ClassName { get; }

    public abstract IReadOnlyDictionary<string, IModelConfig> Shapes { get; }

    /// <summary>head_dim when config.json gives none.</summary>
    protected virtual int DefaultHeadDim(int modelDim, int heads) => modelDim / heads;

    /// <summary>Applies the family's rules for biases, q/k norms and sliding windows to the fields all families share.</summary>
    protected abstract LlamaConfig ResolveFamily(ConfigJson json, LlamaConfig common);

    /// <summary>Writes the family's own fields into a config.json being built.</summary>
    protected abstract void WriteFamily(LlamaConfig config, IDictionary<string, object?> json);

    public IModelConfig ParseConfig(JsonElement json, string source) => Parse(new ConfigJson(json, source));

    public LlamaConfig Parse(ConfigJson json)
    {
        var activation = json.String("hidden_act") ?? "silu";
        if (activation != "silu")
            throw new SteerException(ErrorKind.InvalidModel, $"{json.Source}: hidden_act '{activation}' is not supported ({Name} uses silu)");
        var modelDim = json.Int("hidden_size", 4096);
        var heads = json.Int("num_attention_heads", 32);
        if (heads <= 0) throw new SteerException(ErrorKind.InvalidModel, $"{json.Source}: num_attention_heads must be positive, got {heads}");
        // Transformers 5 moves rope_theta and the scaling into rope_parameters.
        var rope = json.Object("rope_parameters");
        var common = new LlamaConfig
        {
            ModelType = ModelType,
            VocabSize = json.Int("vocab_size", 32000),
            ModelDim = modelDim,
            MlpDim = json.Int("intermediate_size", 11008),
            Layers = json.Int("num_hidden_layers", 32),
            Heads = heads,
            KvHeads = json.Int("num_key_value_heads", heads),
            HeadDim = json.OptionalInt("head_dim") ?? DefaultHeadDim(modelDim, heads),
            RmsNormEps = json.Double("rms_norm_eps", 1e-6),
            RopeTheta = rope?.Double("rope_theta", 0) is > 0 and var theta ? theta : json.Double("rope_theta", 10000),
            RopeScaling = ReadRopeScaling(json.Object("rope_scaling") ?? rope),
            ContextLength = json.Int("max_position_embeddings", 4096),
            TieWordEmbeddings = json.Bool("tie_word_embeddings", false),
            BosTokenId = json.OptionalInt("bos_token_id"),
            EosTokenIds = json.IntOrList("eos_token_id"),
            TorchDType = json.String("torch_dtype") ?? json.String("dtype"),
        };
        return ResolveFamily(json, common).Validate();
    }

    private static RopeScaling? ReadRopeScaling(ConfigJson? scaling)
    {
        if (scaling is null) return null;
        var type = scaling.String("rope_type") ?? scaling.String("type") ?? "default";
        if (type == "default") return null;
        if (type is not ("linear" or "llama3"))
            throw new SteerException(ErrorKind.InvalidModel, $"{scaling.Source}: rope type '{type}' is not supported; supported: default, linear, llama3");
        return new RopeScaling(type, scaling.Double("factor", 1), scaling.Double("low_freq_factor", 1), scaling.Double("high_freq_factor", 4),
            scaling.Int("original_max_position_embeddings", 8192));
    }

    public ITransformer Create(IModelConfig config, ScalarType dtype, Device device) => new LlamaTransformer(Of(config), dtype, device);

    public IReadOnlyDictionary<string, long[]> Layout(IModelConfig config) => LlamaLayout.Shapes(Of(config));

    /// <summary>Hugging Face's names already start with <c>model.</c> (and <c>lm_head.</c>), which the parameters keep.</summary>
    public string CheckpointPrefix => "";

    public Regex IgnoredKeys => Ignored();

    public IReadOnlyDictionary<string, string> StoredAliases(IModelConfig config) =>
        Of(config).TieWordEmbeddings ? TiedAliases : new Dictionary<string, string>();

    /// <summary>A tied checkpoint may store the shared matrix as lm_head.weight only (some exports do).</summary>
    private static readonly Dictionary<string, string> TiedAliases = new(StringComparer.Ordinal)
    {
        [LlamaLayout.LmHead] = LlamaLayout.Embedding,
    };

    public (IReadOnlyList<string> Names, IReadOnlyDictionary<string, string> Aliases) HookPoints(IModelConfig config) =>
        LlamaHookPoints.For(Of(config));

    public LinearLayout ProjectionLayout => LinearLayout.OutputMajor;

    public LinearLayout UnembeddingLayout => LinearLayout.OutputMajor;

    public (double Mean, double Std) FormulaDistribution(IModelConfig config, string name) => LlamaFormula.Distribution(Of(config), name);

    public string FormulaConfigJson(IModelConfig config, string torchDType)
    {
        var c = Of(config);
        var json = LlamaConfigWriter.Common(c, ClassName, torchDType);
        WriteFamily(c, json);
        return JsonSerializer.Serialize(json, new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>float32 unless the checkpoint is stored in bfloat16: an 8B model in float32 does not fit most machines.</summary>
    public string DefaultDType(IModelConfig config) => Of(config).TorchDType == "bfloat16" ? "bfloat16" : "float32";

    public ITokenizer LoadTokenizer(string modelDirectory, IModelConfig config) =>
        HuggingFaceTokenizer.FromDirectory(modelDirectory) ?? new MissingTokenizer(config.Shape.VocabSize, modelDirectory);

    public ITokenizer BuiltInTokenizer(IModelConfig config) => new MissingTokenizer(config.Shape.VocabSize, null);

    /// <summary>A byte-level tokenizer (one token per byte) when the vocabulary holds every byte, so that text works.</summary>
    public void WriteFormulaTokenizer(string directory, IModelConfig config)
    {
        var c = Of(config);
        if (c.VocabSize >= FormulaTokenizerFile.MinimumVocabulary && c.BosTokenId == FormulaTokenizerFile.BosId && c.EosTokenIds.SequenceEqual([FormulaTokenizerFile.EosId]))
            FormulaTokenizerFile.Write(directory, c.VocabSize);
    }

    /// <summary>RoPE's inverse-frequency buffer, which Hugging Face recomputes and some files still store.</summary>
    [GeneratedRegex(@"^model\.layers\.\d+\.self_attn\.rotary_emb\.inv_freq$|^model\.rotary_emb\.inv_freq$")]
    private static partial Regex Ignored();

    protected static LlamaConfig Of(IModelConfig config) => config as LlamaConfig
        ?? throw new ArgumentException($"a {config.GetType().Name} is not a Llama-family config", nameof(config));

    /// <summary>use_sliding_window / sliding_window / max_window_layers / layer_types, as Qwen2 and Qwen3 read them.</summary>
    protected static LlamaConfig WithQwenWindows(ConfigJson json, LlamaConfig c)
    {
        if (!json.Bool("use_sliding_window", false)) return c with { SlidingWindow = null, WindowedLayers = [] };
        var window = json.OptionalInt("sliding_window") ?? 4096;
        var fromLayer = json.Int("max_window_layers", 28);
        var types = json.StringList("layer_types");
        if (types is not null && types.FirstOrDefault(t => t is not ("full_attention" or "sliding_attention")) is { } odd)
            throw new SteerException(ErrorKind.InvalidModel, $"{json.Source}: layer_types holds '{odd}'; supported: full_attention, sliding_attention");
        var windowed = types is not null
            ? types.Select(t => t == "sliding_attention").ToArray()
            : Enumerable.Range(0, c.Layers).Select(i => i >= fromLayer).ToArray();
        return c with { SlidingWindow = window, WindowedLayers = windowed };
    }
}
