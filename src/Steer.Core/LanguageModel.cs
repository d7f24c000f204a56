using Steer.Architectures;
using Steer.Hooks;
using Steer.IO;
using Steer.Models;
using Steer.Runtime;
using Steer.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace Steer;

/// <summary>
/// A loaded language model and its tokenizer. Every public call owns one dispose scope and runs without
/// gradients; tensors it returns belong to the caller.
/// </summary>
public sealed partial class LanguageModel : IDisposable
{
    private readonly ITransformer _transformer;

    /// <param name="extraStopIds">generation_config.json's EOS ids, which end a completion too.</param>
    private LanguageModel(ITransformer transformer, ITokenizer tokenizer, string name, IReadOnlyList<int> extraStopIds)
    {
        _transformer = transformer;
        Tokenizer = tokenizer;
        Name = name;
        StopIds = [.. (transformer.EosTokenIds.Count > 0 ? transformer.EosTokenIds : [tokenizer.EosId]).Concat(extraStopIds).Distinct()];
        StopId = StopIds[0];
        // Padded positions are masked out, so any id the embedding can look up will do; the tokenizer's pad id is
        // the natural choice, but a checkpoint with a cut-down vocabulary may not have it.
        PadId = new[] { tokenizer.PadId, StopId, 0 }.First(id => id >= 0 && id < transformer.Shape.VocabSize);
        Description = new ModelDescription(name, transformer.Shape, tokenizer, StopIds, transformer.Hooks);
    }

    /// <summary>Name, shape, tokenizer and hook names: what other threads may read while this model runs.</summary>
    public ModelDescription Description { get; }

    /// <summary>A Hugging Face id or the local directory the model came from.</summary>
    public string Name { get; }

    public ModelShape Shape => _transformer.Shape;

    /// <summary>config.json's model_type: gpt2, llama, mistral, qwen2 or qwen3.</summary>
    public string ModelType { get; private init; } = "";

    public ITokenizer Tokenizer { get; }

    /// <summary>The id that ends a completion: config.json's (first) <c>eos_token_id</c>, else the tokenizer's EOS.</summary>
    public int StopId { get; }

    /// <summary>
    /// Every id that ends a completion: all of config.json's <c>eos_token_id</c> (Llama 3 Instruct lists several) and
    /// generation_config.json's.
    /// </summary>
    public IReadOnlyList<int> StopIds { get; }

    /// <summary>The id that fills the masked positions of a padded batch (always inside the model's vocabulary).</summary>
    internal int PadId { get; }

    /// <summary>The model's one hook mechanism: a hook stays attached until its registration is disposed.</summary>
    public HookRegistry Hooks => _transformer.Hooks;

    /// <summary>
    /// Every hook point's canonical name, in forward order (see <see cref="HookNames"/>). Aliases such as
    /// <c>blocks.L.hook_in</c> are not listed but are accepted wherever a hook name is.
    /// </summary>
    public IReadOnlyList<string> HookPoints => _transformer.Hooks.Names;

    /// <summary>Whether the linear layers' weights are held as Q8_0 blocks (<see cref="ModelOptions.DType"/> int8).</summary>
    internal bool IsInt8 { get; init; }

    /// <summary>float32, bfloat16, float16 or int8 (Q8_0 weights, float32 activations).</summary>
    public string DType => IsInt8 ? "int8" : _transformer.DType switch
    {
        ScalarType.BFloat16 => "bfloat16",
        ScalarType.Float16 => "float16",
        _ => "float32",
    };

    public string Device => _transformer.Device.ToString();

    public long ParameterCount => _transformer.Weights().Sum(w => w.Tensor.numel());

    /// <summary>
    /// The bytes the weights occupy: each parameter in the compute dtype, an int8 layer as its Q8_0 blocks (one
    /// byte per value and a float32 scale per 32), plus the unembedding's Q8_0 copy of an int8 model.
    /// </summary>
    public long WeightBytes => StoredWeightBytes() + UnembeddingInt8Bytes;

    /// <summary>
    /// The bytes one decoding step reads from the weights: as <see cref="WeightBytes"/>, except that an int8 model's
    /// logits read the unembedding's Q8_0 copy instead of its float32 matrix.
    /// </summary>
    internal long DecodeWeightBytes =>
        UnembeddingInt8Bytes == 0 ? WeightBytes
            : WeightBytes - _transformer.Unembedding.numel() * _transformer.Unembedding.ElementSize;

    /// <summary>The bytes of the int8 copy of the unembedding (0 unless int8).</summary>
    internal long UnembeddingInt8Bytes { get; init; }

    private long StoredWeightBytes()
    {
        var quantized = ((TorchSharp.torch.nn.Module)_transformer).named_modules()
            .Where(m => m.module is Linear { IsQuantized: true })
            .ToDictionary(m => m.name + ".weight", m => ((Linear)m.module).WeightBytes, StringComparer.Ordinal);
        return _transformer.Weights().Sum(w => quantized.TryGetValue(w.Name, out var bytes) ? bytes : w.Tensor.numel() * w.Tensor.ElementSize);
    }

    /// <summary>Parameter names (as in the checkpoint) and shapes.</summary>
    public IEnumerable<(string Name, long[] Shape)> Parameters => _transformer.Weights().Select(w => (w.Name, w.Tensor.shape));

    internal ITransformer Transformer => _transformer;

    /// <summary>
    /// Loads a model from a local directory (config.json + model.safetensors, or sharded safetensors with an
    /// index) or a .safetensors file with config.json beside it. For a Hugging Face id, resolve it first with
    /// <c>Steer.Hub.ModelLocator.Resolve</c>, which downloads into the Hugging Face cache.
    /// </summary>
    public static LanguageModel Load(string path, ModelOptions? options = null) => Load(ModelFiles.FromPath(path), options);

    /// <summary>Loads the model whose files are <paramref name="files"/>.</summary>
    public static LanguageModel Load(ModelFiles files, ModelOptions? options = null)
    {
        options ??= new ModelOptions();
        TorchRuntime.EnsureLoaded();
        using var source = new SafetensorsWeightSource(files.WeightFiles);
        var (architecture, config) = ModelRegistry.Read(files.ConfigPath);
        return Create(architecture, config, source, architecture.LoadTokenizer(files.Directory, config), files.DisplayName, options,
            GenerationConfigFile.StopIds(files.Directory));
    }

    /// <summary>The tokenizer of the model at <paramref name="files"/>, as its architecture reads it, without loading any weights.</summary>
    public static ITokenizer LoadTokenizer(ModelFiles files)
    {
        var (architecture, config) = ModelRegistry.Read(files.ConfigPath);
        return architecture.LoadTokenizer(files.Directory, config);
    }

    /// <summary>
    /// A model whose weights come from the portable formula (see <see cref="FormulaWeights"/>), built in memory,
    /// of any registered architecture's config (e.g. one of <see cref="ModelShapes"/>).
    /// </summary>
    public static LanguageModel FromFormula(IModelConfig config, ulong seed, ModelOptions? options = null) =>
        FromFormula(config, seed, options, storedAs: null);

    internal static LanguageModel FromFormula(IModelConfig config, ulong seed, ModelOptions? options, ScalarType? storedAs)
    {
        TorchRuntime.EnsureLoaded();
        var architecture = ModelRegistry.For(config);
        config = config.Validate();
        using var source = new FormulaWeightSource(architecture, config, seed, storedAs);
        return Create(architecture, config, source, architecture.BuiltInTokenizer(config), $"formula(seed={seed})", options ?? new ModelOptions(), []);
    }

    private static LanguageModel Create(IArchitecture architecture, IModelConfig config, IWeightSource source, ITokenizer tokenizer,
        string name, ModelOptions options, IReadOnlyList<int> extraStopIds)
    {
        var dtype = options.ScalarTypeOr(architecture.DefaultDType(config));
        var device = options.TorchDevice;
        CheckDTypeSupported(dtype, device);
        if (options.QuantizesToInt8 && device.type != DeviceType.CPU)
            throw new SteerException(ErrorKind.InvalidArgument, $"--dtype int8 runs on the CPU only (its kernels are SIMD code); on {device} use bfloat16 or float16");
        var transformer = architecture.Create(config, dtype, device);
        try
        {
            long unembeddingInt8Bytes;
            using (no_grad())
            {
                var quantizer = options.QuantizesToInt8 ? new Int8Quantizer(transformer) : null;
                WeightLoader.Load(architecture, config, transformer, source, name, quantizer is null ? null : quantizer.Loaded);
                unembeddingInt8Bytes = quantizer is null ? 0 : transformer.QuantizeUnembedding();
            }
            return new LanguageModel(transformer, tokenizer, name, extraStopIds)
            {
                ModelType = config.ModelType,
                IsInt8 = options.QuantizesToInt8,
                UnembeddingInt8Bytes = unembeddingInt8Bytes,
            };
        }
        catch
        {
            transformer.Dispose();
            throw;
        }
    }

    private static void CheckDTypeSupported(ScalarType dtype, Device device)
    {
        if (dtype == ScalarType.Float32) return;
        try
        {
            using var scope = NewDisposeScope();
            var x = ones([2, 4], dtype, device);
            // item<float> only reads float32 tensors, so the probe result is converted before it is read.
            nn.functional.layer_norm(x.matmul(ones([4, 4], dtype, device)), [4]).sum().to(ScalarType.Float32).item<float>();
        }
        catch (Exception e) when (e is not SteerException)
        {
            throw new SteerException(ErrorKind.Environment, $"dtype {dtype} is not supported on {device}: {e.Message.Split('\n')[0]}");
        }
    }

    public void Dispose() => _transformer.Dispose();
}
