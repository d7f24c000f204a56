namespace Steer.Models.Llama;

/// <summary>
/// Hugging Face's LlamaForCausalLM: Llama 2 and 3.x, TinyLlama, SmolLM/SmolLM2 and most fine-tunes. q/k/v/o biases
/// follow <c>attention_bias</c>, MLP biases <c>mlp_bias</c>; no sliding window.
/// </summary>
internal sealed class LlamaArchitecture : LlamaFamilyArchitecture
{
    public override string ModelType => "llama";
    public override string Name => "Llama";
    protected override string ClassName => "LlamaForCausalLM";

    public override IReadOnlyDictionary<string, IModelConfig> Shapes { get; } = new Dictionary<string, IModelConfig>(StringComparer.Ordinal)
    {
        ["llama-tiny"] = Tiny,
        ["smollm2-135m"] = new LlamaConfig
        {
            ModelType = "llama",
            VocabSize = 49152,
            ModelDim = 576,
            MlpDim = 1536,
            Layers = 30,
            Heads = 9,
            KvHeads = 3,
            HeadDim = 64,
            RmsNormEps = 1e-5,
            RopeTheta = 100000,
            ContextLength = 8192,
            TieWordEmbeddings = true,
            BosTokenId = 1,
            EosTokenIds = [2],
            TorchDType = "bfloat16",
        },
        ["llama-3.2-1b"] = new LlamaConfig
        {
            ModelType = "llama",
            VocabSize = 128256,
            ModelDim = 2048,
            MlpDim = 8192,
            Layers = 16,
            Heads = 32,
            KvHeads = 8,
            HeadDim = 64,
            RmsNormEps = 1e-5,
            RopeTheta = 500000,
            RopeScaling = new RopeScaling("llama3", 32, 1, 4, 8192),
            ContextLength = 131072,
            TieWordEmbeddings = true,
            BosTokenId = 128000,
            EosTokenIds = [128001],
            TorchDType = "bfloat16",
        },
        ["llama-3-8b"] = new LlamaConfig
        {
            ModelType = "llama",
            VocabSize = 128256,
            ModelDim = 4096,
            MlpDim = 14336,
            Layers = 32,
            Heads = 32,
            KvHeads = 8,
            HeadDim = 128,
            RmsNormEps = 1e-5,
            RopeTheta = 500000,
            ContextLength = 8192,
            BosTokenId = 128000,
            EosTokenIds = [128001],
            TorchDType = "bfloat16",
        },
    };

    /// <summary>A toy shape for trying things out quickly (and for the README's examples).</summary>
    public static LlamaConfig Tiny { get; } = new()
    {
        ModelType = "llama",
        VocabSize = 512,
        ModelDim = 64,
        MlpDim = 176,
        Layers = 2,
        Heads = 4,
        KvHeads = 2,
        HeadDim = 16,
        RmsNormEps = 1e-5,
        ContextLength = 128,
        BosTokenId = 1,
        EosTokenIds = [2],
    };

    protected override LlamaConfig ResolveFamily(ConfigJson json, LlamaConfig c)
    {
        var attentionBias = json.Bool("attention_bias", false);
        return c with
        {
            QkvBias = attentionBias,
            OutputBias = attentionBias,
            MlpBias = json.Bool("mlp_bias", false),
            ContextLength = json.Int("max_position_embeddings", 2048),
        };
    }

    protected override void WriteFamily(LlamaConfig c, IDictionary<string, object?> json)
    {
        json["attention_bias"] = c.QkvBias;
        json["mlp_bias"] = c.MlpBias;
    }
}
