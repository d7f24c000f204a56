using System.Text.Json;
using System.Text.Json.Serialization;

namespace Steer.Models.Gpt2;

/// <summary>
/// The shape of a GPT-2 model, read from a Hugging Face <c>config.json</c> (whose field names the JSON
/// attributes keep). Only what the forward pass needs is kept; other fields are ignored.
/// </summary>
public sealed record Gpt2Config : IModelConfig
{
    [JsonPropertyName("model_type")] public string ModelType { get; init; } = "gpt2";
    [JsonPropertyName("vocab_size")] public int VocabSize { get; init; } = 50257;
    [JsonPropertyName("n_positions")] public int ContextLength { get; init; } = 1024;
    [JsonPropertyName("n_embd")] public int ModelDim { get; init; } = 768;
    [JsonPropertyName("n_layer")] public int Layers { get; init; } = 12;
    [JsonPropertyName("n_head")] public int Heads { get; init; } = 12;
    /// <summary>MLP width; Hugging Face writes null for the default 4·n_embd.</summary>
    [JsonPropertyName("n_inner")] public int? InnerDim { get; init; }
    [JsonPropertyName("layer_norm_epsilon")] public double LayerNormEpsilon { get; init; } = 1e-5;
    [JsonPropertyName("activation_function")] public string Activation { get; init; } = "gelu_new";
    [JsonPropertyName("torch_dtype")] public string? TorchDType { get; init; }
    [JsonPropertyName("bos_token_id")] public int BosTokenId { get; init; } = 50256;
    [JsonPropertyName("eos_token_id")] public int EosTokenId { get; init; } = 50256;

    [JsonIgnore] public int HeadDim => ModelDim / Heads;
    [JsonIgnore] public int MlpDim => InnerDim ?? 4 * ModelDim;
    [JsonIgnore] public ModelShape Shape => new(Layers, ModelDim, Heads, VocabSize, ContextLength);

    public static Gpt2Config Small { get; } = new();
    public static Gpt2Config Medium { get; } = new() { Layers = 24, Heads = 16, ModelDim = 1024 };
    public static Gpt2Config Large { get; } = new() { Layers = 36, Heads = 20, ModelDim = 1280 };
    public static Gpt2Config Xl { get; } = new() { Layers = 48, Heads = 25, ModelDim = 1600 };
    /// <summary>A toy shape for trying things out quickly.</summary>
    public static Gpt2Config Tiny { get; } = new() { Layers = 2, Heads = 4, ModelDim = 64, ContextLength = 128 };

    /// <summary>Named shapes, as used by <c>steer bench --shape</c> and <c>steer debug make-model --shape</c>.</summary>
    public static IReadOnlyDictionary<string, Gpt2Config> Shapes { get; } = new Dictionary<string, Gpt2Config>
    {
        ["tiny"] = Tiny,
        ["gpt2"] = Small,
        ["gpt2-medium"] = Medium,
        ["gpt2-large"] = Large,
        ["gpt2-xl"] = Xl,
        ["distilgpt2"] = new() { Layers = 6 },
    };

    /// <summary>Throws <see cref="SteerException"/> with a specific message when the shape is unusable.</summary>
    public Gpt2Config Validate()
    {
        void Require(bool ok, string message)
        {
            if (!ok) throw new SteerException(ErrorKind.InvalidModel, "config.json: " + message);
        }
        Require(VocabSize > 0, $"vocab_size must be positive, got {VocabSize}");
        Require(ContextLength > 0, $"n_positions must be positive, got {ContextLength}");
        Require(Layers > 0, $"n_layer must be positive, got {Layers}");
        Require(Heads > 0 && ModelDim > 0 && ModelDim % Heads == 0, $"n_embd ({ModelDim}) must be a positive multiple of n_head ({Heads})");
        Require(MlpDim > 0, $"n_inner must be positive, got {MlpDim}");
        Require(LayerNormEpsilon > 0 && double.IsFinite(LayerNormEpsilon), $"layer_norm_epsilon must be positive, got {LayerNormEpsilon}");
        Require(Activation is "gelu_new", $"activation_function '{Activation}' is not supported (GPT-2 uses gelu_new)");
        return this;
    }

    IModelConfig IModelConfig.Validate() => Validate();

    public IModelConfig Reshape(int? layers = null, int? modelDim = null, int? heads = null, int? contextLength = null) => this with
    {
        Layers = layers ?? Layers,
        ModelDim = modelDim ?? ModelDim,
        Heads = heads ?? Heads,
        ContextLength = contextLength ?? ContextLength,
    };

    /// <summary>Reads and validates config.json's JSON.</summary>
    /// <param name="source">What to name in error messages, e.g. the file's path.</param>
    public static Gpt2Config Parse(JsonElement json, string source)
    {
        if (json.ValueKind != JsonValueKind.Object)
            throw new SteerException(ErrorKind.InvalidModel, $"{source}: expected a JSON object of settings, got {json.ValueKind.ToString().ToLowerInvariant()}");
        // Field by field rather than by deserialising, so that a wrong type is named in words ("n_layer must be a whole
        // number, got \"two\"") instead of as a System.Int32 path.
        var config = new ConfigJson(json, source);
        var defaults = Small;
        return new Gpt2Config
        {
            ModelType = config.String("model_type") ?? defaults.ModelType,
            VocabSize = config.Int("vocab_size", defaults.VocabSize),
            ContextLength = config.Int("n_positions", defaults.ContextLength),
            ModelDim = config.Int("n_embd", defaults.ModelDim),
            Layers = config.Int("n_layer", defaults.Layers),
            Heads = config.Int("n_head", defaults.Heads),
            InnerDim = config.OptionalInt("n_inner"),
            LayerNormEpsilon = config.Double("layer_norm_epsilon", defaults.LayerNormEpsilon),
            Activation = config.String("activation_function") ?? defaults.Activation,
            TorchDType = config.String("torch_dtype"),
            BosTokenId = config.Int("bos_token_id", defaults.BosTokenId),
            EosTokenId = config.Int("eos_token_id", defaults.EosTokenId),
        }.Validate();
    }

    /// <summary>This config's fields under their config.json names.</summary>
    public string ToJson() => JsonSerializer.Serialize(this with { }, new JsonSerializerOptions { WriteIndented = true });

    /// <summary>A config.json as Hugging Face writes one for GPT-2, for a model whose weights are stored in <paramref name="torchDType"/>.</summary>
    public string ToHuggingFaceJson(string torchDType) => JsonSerializer.Serialize(new Dictionary<string, object?>
    {
        ["architectures"] = new[] { "GPT2LMHeadModel" },
        ["model_type"] = "gpt2",
        ["vocab_size"] = VocabSize,
        ["n_positions"] = ContextLength,
        ["n_ctx"] = ContextLength,
        ["n_embd"] = ModelDim,
        ["n_layer"] = Layers,
        ["n_head"] = Heads,
        ["n_inner"] = InnerDim,
        ["activation_function"] = "gelu_new",
        ["layer_norm_epsilon"] = LayerNormEpsilon,
        ["bos_token_id"] = BosTokenId,
        ["eos_token_id"] = EosTokenId,
        ["torch_dtype"] = torchDType,
    }, new JsonSerializerOptions { WriteIndented = true });
}
