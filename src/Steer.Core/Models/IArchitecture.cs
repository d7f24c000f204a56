using System.Text.Json;
using System.Text.RegularExpressions;
using Steer.Tokenization;
using static TorchSharp.torch;

namespace Steer.Models;

/// <summary>
/// Everything Steer needs to know about one architecture. An architecture is one folder under Models/ that
/// implements this and one line in <c>Architectures.ModelRegistry</c>; nothing else names its types. Members that take
/// an <see cref="IModelConfig"/> are only given configs this architecture parsed or listed in <see cref="Shapes"/>.
/// </summary>
internal interface IArchitecture
{
    /// <summary>The human name, for messages ("this is not a GPT-2 checkpoint").</summary>
    string Name { get; }

    /// <summary>Named configs for <c>steer bench --shape</c> and <c>steer debug make-model --shape</c>.</summary>
    IReadOnlyDictionary<string, IModelConfig> Shapes { get; }

    /// <summary>Reads and validates config.json's JSON (already parsed once, by the registry).</summary>
    /// <param name="source">What to name in error messages, e.g. the file's path.</param>
    IModelConfig ParseConfig(JsonElement json, string source);

    /// <summary>A model with uninitialised parameters, named as <see cref="Layout"/> names them.</summary>
    ITransformer Create(IModelConfig config, ScalarType dtype, Device device);

    /// <summary>
    /// The parameters a checkpoint holds, by name without <see cref="CheckpointPrefix"/>, in file order: exactly
    /// what <see cref="ITransformer.Weights"/> of <see cref="Create"/> returns.
    /// </summary>
    IReadOnlyDictionary<string, long[]> Layout(IModelConfig config);

    /// <summary>The prefix some checkpoints put before every name (e.g. <c>transformer.</c>), stripped when loading.</summary>
    string CheckpointPrefix { get; }

    /// <summary>Stored tensors that are not parameters (buffers, tied weights), matched against prefix-less names.</summary>
    Regex IgnoredKeys { get; }

    /// <summary>
    /// Other names a parameter may be stored under (stored name → parameter name), used only when the parameter's own
    /// name is absent: a tied checkpoint that stores its shared matrix as <c>lm_head.weight</c>.
    /// </summary>
    IReadOnlyDictionary<string, string> StoredAliases(IModelConfig config);

    /// <summary>The dtype a model loads in when <see cref="ModelOptions.DType"/> is not given.</summary>
    string DefaultDType(IModelConfig config);

    /// <summary>Canonical hook point names in forward order, and alias → canonical name.</summary>
    (IReadOnlyList<string> Names, IReadOnlyDictionary<string, string> Aliases) HookPoints(IModelConfig config);

    /// <summary>How the weights of the blocks' linear layers are stored (see <see cref="Linear"/>).</summary>
    LinearLayout ProjectionLayout { get; }

    /// <summary>How the unembedding matrix is stored.</summary>
    LinearLayout UnembeddingLayout { get; }

    /// <summary>The (mean, std) of <see cref="FormulaWeights"/> for parameter <paramref name="name"/>.</summary>
    (double Mean, double Std) FormulaDistribution(IModelConfig config, string name);

    /// <summary>The config.json that <c>FormulaModel.Write</c> puts beside formula weights.</summary>
    /// <param name="torchDType">float32, float16 or bfloat16: the dtype of the written weights.</param>
    string FormulaConfigJson(IModelConfig config, string torchDType);

    /// <summary>
    /// The tokenizer stored in a model directory; when the directory has none, the architecture's built-in one or a
    /// <see cref="MissingTokenizer"/>, with which token-id inputs still work.
    /// </summary>
    ITokenizer LoadTokenizer(string modelDirectory, IModelConfig config);

    /// <summary>
    /// Writes tokenizer files for a formula model into <paramref name="directory"/>, if this architecture has no
    /// built-in tokenizer that such a model would use anyway.
    /// </summary>
    void WriteFormulaTokenizer(string directory, IModelConfig config);

    /// <summary>The tokenizer of models built in memory from the formula.</summary>
    ITokenizer BuiltInTokenizer(IModelConfig config);
}
