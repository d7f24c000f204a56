using Steer.Models.Llama;

namespace Steer.Models.Qwen3;

/// <summary>
/// Hugging Face's Qwen3ForCausalLM: per-head RMSNorm of queries and keys before RoPE, an explicit head_dim (128 when
/// config.json gives none), q/k/v/o biases per <c>attention_bias</c>, and Qwen2's sliding-window rules.
/// </summary>
internal sealed class Qwen3Architecture : LlamaFamilyArchitecture
{
    public override string ModelType => "qwen3";
    public override string Name => "Qwen3";
    protected override string ClassName => "Qwen3ForCausalLM";

    public override IReadOnlyDictionary<string, IModelConfig> Shapes { get; } = new Dictionary<string, IModelConfig>(StringComparer.Ordinal)
    {
        ["qwen3-tiny"] = new LlamaConfig
        {
            ModelType = "qwen3",
            VocabSize = 512,
            ModelDim = 64,
            MlpDim = 128,
            Layers = 2,
            Heads = 4,
            KvHeads = 2,
            HeadDim = 24,
            RopeTheta = 1e6,
            ContextLength = 128,
            TieWordEmbeddings = true,
            QkNorm = true,
            BosTokenId = 1,
            EosTokenIds = [2],
        },
        ["qwen3-0.6b"] = new LlamaConfig
        {
            ModelType = "qwen3",
            VocabSize = 151936,
            ModelDim = 1024,
            MlpDim = 3072,
            Layers = 28,
            Heads = 16,
            KvHeads = 8,
            HeadDim = 128,
            RopeTheta = 1e6,
            ContextLength = 40960,
            TieWordEmbeddings = true,
            QkNorm = true,
            BosTokenId = 151643,
            EosTokenIds = [151645],
            TorchDType = "bfloat16",
        },
    };

    protected override int DefaultHeadDim(int modelDim, int heads) => 128;

    protected override LlamaConfig ResolveFamily(ConfigJson json, LlamaConfig c)
    {
        var attentionBias = json.Bool("attention_bias", false);
        return WithQwenWindows(json, c with
        {
            QkvBias = attentionBias,
            OutputBias = attentionBias,
            QkNorm = true,
            ContextLength = json.Int("max_position_embeddings", 32768),
        });
    }

    protected override void WriteFamily(LlamaConfig c, IDictionary<string, object?> json)
    {
        json["attention_bias"] = c.QkvBias;
        LlamaConfigWriter.QwenWindows(c, json);
    }
}
