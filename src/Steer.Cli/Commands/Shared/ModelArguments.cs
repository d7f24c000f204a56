using System.CommandLine;
using Steer.Hub;
using Steer.IO;
using Steer.Models;
using Steer.Tokenization;

namespace Steer.Cli.Commands.Shared;

/// <summary>--model, --dtype, --device, --revision and --quiet, shared by every command that loads a model.</summary>
/// <remarks>A Hub id that is not in the cache is downloaded on demand, with progress on stderr (see <see cref="HubSettings"/>).</remarks>
internal sealed class ModelArguments(CliContext context)
{
    public const string DefaultModel = "gpt2";

    private readonly Option<string?> _model = new("--model", "-m")
    {
        Description = "A local directory (config.json + model.safetensors) or a Hugging Face id. Default: $STEER_MODEL, else gpt2.",
    };
    private readonly Option<string?> _dtype = new("--dtype")
    {
        Description = "Compute dtype: float32, bfloat16, float16, or int8 (Q8_0 weights, float32 activations). Default: $STEER_DTYPE, else the model's own " +
            "(float32; bfloat16 for a Llama-family checkpoint stored in bfloat16).",
    };
    // No DefaultValueFactory for --dtype and --device: help would append "[default: cpu]" to a description that
    // already says where the default comes from; the environment is read where the value is.
    private readonly Option<string?> _device = new("--device")
    {
        Description = "cpu or cuda[:N]. Default: $STEER_DEVICE, else cpu.",
    };
    private readonly Option<string> _revision = new("--revision")
    {
        Description = "Hub revision (branch, tag or commit) of a model id.",
        DefaultValueFactory = _ => "main",
    };
    private readonly Option<bool> _quiet = new("--quiet", "-q")
    {
        Description = "No download progress bar (it only shows when stderr is a terminal anyway).",
    };

    public void AddTo(Command command)
    {
        command.Add(_model);
        command.Add(_dtype);
        command.Add(_device);
        command.Add(_revision);
        command.Add(_quiet);
    }

    /// <param name="fallback">The model when neither --model nor $STEER_MODEL says (a recipe's gpt2-xl, say).</param>
    public string ModelName(ParseResult parse, string? fallback = null) =>
        parse.GetValue(_model) ?? System.Environment.GetEnvironmentVariable("STEER_MODEL") ?? fallback ?? DefaultModel;

    /// <summary>The files of the model --model names (downloaded if needed), without loading it.</summary>
    public ModelFiles Files(ParseResult parse) => ModelLocator.Resolve(ModelName(parse), parse.GetValue(_revision)!, Hub(parse));

    /// <summary>Whether --model or $STEER_MODEL names a model.</summary>
    public bool IsGiven(ParseResult parse) => (parse.GetValue(_model) ?? System.Environment.GetEnvironmentVariable("STEER_MODEL")) is not null;

    /// <summary>Whether --dtype or $STEER_DTYPE chose the dtype (else the model's default did).</summary>
    public bool DTypeGiven(ParseResult parse) => DType(parse) is not null;

    public ModelOptions Options(ParseResult parse) => new()
    {
        DType = DType(parse),
        Device = parse.GetValue(_device) ?? System.Environment.GetEnvironmentVariable("STEER_DEVICE") ?? "cpu",
    };

    private string? DType(ParseResult parse) => parse.GetValue(_dtype) ?? System.Environment.GetEnvironmentVariable("STEER_DTYPE");

    public LanguageModel Load(ParseResult parse, string? fallback = null) =>
        LanguageModel.Load(ModelLocator.Resolve(ModelName(parse, fallback), parse.GetValue(_revision)!, Hub(parse)), Options(parse));

    /// <summary>The tokenizer of --model when given (without loading weights), else the built-in GPT-2 one.</summary>
    public ITokenizer Tokenizer(ParseResult parse)
    {
        var name = parse.GetValue(_model) ?? System.Environment.GetEnvironmentVariable("STEER_MODEL");
        // Without a model, the default model's (gpt2's) vocabulary, which is built in: nothing is downloaded to tokenise.
        return name is null ? Gpt2Tokenizer.Default : LanguageModel.LoadTokenizer(ModelLocator.Resolve(name, parse.GetValue(_revision)!, Hub(parse)));
    }

    private HubOptions Hub(ParseResult parse) => HubSettings.Options(context, parse.GetValue(_quiet));
}
