using Steer.Models.Llama;

namespace Steer.Models.Qwen2;

/// <summary>
/// Hugging Face's Qwen2ForCausalLM (Qwen2, Qwen2.5): biases on q, k and v but not o; a sliding window only when
/// <c>use_sliding_window</c> is true, and then on the layers from <c>max_window_layers</c> on (or as <c>layer_types</c> says).
/// </summary>
internal sealed class Qwen2Architecture : LlamaFamilyArchitecture
{
    public override string ModelType => "qwen2";
    public override string Name => "Qwen2";
    protected override string ClassName => "Qwen2ForCausalLM";

    public override IReadOnlyDictionary<string, IModelConfig> Shapes { get; } = new Dictionary<string, IModelConfig>(StringComparer.Ordinal)
    {
        ["qwen2-tiny"] = new LlamaConfig
        {
            ModelType = "qwen2",
            VocabSize = 512,
            ModelDim = 64,
            MlpDim = 160,
            Layers = 2,
            Heads = 4,
            KvHeads = 1,
            HeadDim = 16,
            RopeTheta = 1e6,
            ContextLength = 128,
            TieWordEmbeddings = true,
            QkvBias = true,
            BosTokenId = 1,
            EosTokenIds = [2],
        },
        ["qwen2.5-0.5b"] = new LlamaConfig
        {
            ModelType = "qwen2",
            VocabSize = 151936,
            ModelDim = 896,
            MlpDim = 4864,
            Layers = 24,
            Heads = 14,
            KvHeads = 2,
            HeadDim = 64,
            RopeTheta = 1e6,
            ContextLength = 32768,
            TieWordEmbeddings = true,
            QkvBias = true,
            BosTokenId = 151643,
            EosTokenIds = [151643],
            TorchDType = "bfloat16",
        },
    };

    protected override LlamaConfig ResolveFamily(ConfigJson json, LlamaConfig c) =>
        WithQwenWindows(json, c with { QkvBias = true, OutputBias = false, ContextLength = json.Int("max_position_embeddings", 32768) });

    protected override void WriteFamily(LlamaConfig c, IDictionary<string, object?> json) => LlamaConfigWriter.QwenWindows(c, json);
}
