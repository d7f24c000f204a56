using System.Text.Json;
using System.Text.RegularExpressions;
using Steer.Tokenization;
using static TorchSharp.torch;

namespace Steer.Models.Gpt2;

/// <summary>GPT-2 as Hugging Face stores it (<c>GPT2LMHeadModel</c>); see <see cref="IArchitecture"/>.</summary>
internal sealed partial class Gpt2Architecture : IArchitecture
{
    /// <summary>Conv1D stores its weight [in, out].</summary>
    public const LinearLayout Projections = LinearLayout.InputMajor;

    /// <summary>The unembedding is wte itself, [vocab, d_model].</summary>
    public const LinearLayout Unembedding = LinearLayout.OutputMajor;

    public string Name => "GPT-2";

    public IReadOnlyDictionary<string, IModelConfig> Shapes { get; } =
        Gpt2Config.Shapes.ToDictionary(s => s.Key, s => (IModelConfig)s.Value, StringComparer.Ordinal);

    public IModelConfig ParseConfig(JsonElement json, string source) => Gpt2Config.Parse(json, source);

    public ITransformer Create(IModelConfig config, ScalarType dtype, Device device) => new Gpt2Transformer(Of(config), dtype, device);

    public IReadOnlyDictionary<string, long[]> Layout(IModelConfig config) => Gpt2Layout.Shapes(Of(config));

    public string CheckpointPrefix => "transformer.";

    public Regex IgnoredKeys => Ignored();

    public (IReadOnlyList<string> Names, IReadOnlyDictionary<string, string> Aliases) HookPoints(IModelConfig config) =>
        Gpt2HookPoints.For(Of(config));

    public LinearLayout ProjectionLayout => Projections;

    public LinearLayout UnembeddingLayout => Unembedding;

    public (double Mean, double Std) FormulaDistribution(IModelConfig config, string name) =>
        Gpt2Formula.Distribution(name, Of(config).ModelDim);

    public string FormulaConfigJson(IModelConfig config, string torchDType) => Of(config).ToHuggingFaceJson(torchDType);

    public IReadOnlyDictionary<string, string> StoredAliases(IModelConfig config) => NoAliases;

    /// <summary>GPT-2 checkpoints are float32, and small enough to run so.</summary>
    public string DefaultDType(IModelConfig config) => "float32";

    public ITokenizer LoadTokenizer(string modelDirectory, IModelConfig config) => Gpt2Tokenizer.FromDirectory(modelDirectory);

    public ITokenizer BuiltInTokenizer(IModelConfig config) => Gpt2Tokenizer.Default;

    /// <summary>A GPT-2 directory without tokenizer files uses the built-in GPT-2 tokenizer.</summary>
    public void WriteFormulaTokenizer(string directory, IModelConfig config) { }

    private static readonly Dictionary<string, string> NoAliases = [];

    /// <summary>Buffers Hugging Face writes that are not weights, and the unembedding tied to wte.</summary>
    [GeneratedRegex(@"^h\.\d+\.attn\.(bias|masked_bias)$|^lm_head\.weight$")]
    private static partial Regex Ignored();

    private static Gpt2Config Of(IModelConfig config) => config as Gpt2Config
        ?? throw new ArgumentException($"a {config.GetType().Name} is not a GPT-2 config", nameof(config));
}
