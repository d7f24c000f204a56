using Steer.Models.Llama;

namespace Steer.Models.Mistral;

/// <summary>
/// Hugging Face's MistralForCausalLM: Llama without biases, and a sliding window on every layer (a query sees the
/// last <c>sliding_window</c> keys, its own included; 4096 when config.json does not say, none when it says null).
/// </summary>
internal sealed class MistralArchitecture : LlamaFamilyArchitecture
{
    public override string ModelType => "mistral";
    public override string Name => "Mistral";
    protected override string ClassName => "MistralForCausalLM";

    public override IReadOnlyDictionary<string, IModelConfig> Shapes { get; } = new Dictionary<string, IModelConfig>(StringComparer.Ordinal)
    {
        ["mistral-tiny"] = new LlamaConfig
        {
            ModelType = "mistral",
            VocabSize = 512,
            ModelDim = 64,
            MlpDim = 192,
            Layers = 2,
            Heads = 4,
            KvHeads = 2,
            HeadDim = 16,
            RmsNormEps = 1e-5,
            ContextLength = 128,
            SlidingWindow = 16,
            WindowedLayers = [true, true],
            BosTokenId = 1,
            EosTokenIds = [2],
        },
        ["mistral-7b"] = new LlamaConfig
        {
            ModelType = "mistral",
            VocabSize = 32000,
            ModelDim = 4096,
            MlpDim = 14336,
            Layers = 32,
            Heads = 32,
            KvHeads = 8,
            HeadDim = 128,
            RmsNormEps = 1e-5,
            ContextLength = 32768,
            SlidingWindow = 4096,
            WindowedLayers = [.. Enumerable.Repeat(true, 32)],
            BosTokenId = 1,
            EosTokenIds = [2],
            TorchDType = "bfloat16",
        },
    };

    protected override LlamaConfig ResolveFamily(ConfigJson json, LlamaConfig c)
    {
        // An explicit null turns the window off; a missing field is Hugging Face's default of 4096.
        int? window = json.Has("sliding_window") ? json.OptionalInt("sliding_window") : 4096;
        return c with
        {
            ContextLength = json.Int("max_position_embeddings", 4096 * 32),
            SlidingWindow = window,
            WindowedLayers = window is null ? [] : [.. Enumerable.Repeat(true, c.Layers)],
        };
    }

    protected override void WriteFamily(LlamaConfig c, IDictionary<string, object?> json) =>
        json["sliding_window"] = c.WindowedLayers.Any(w => w) ? c.SlidingWindow : null;
}
