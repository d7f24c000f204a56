using Steer.Architectures;
using Steer.Chat;
using Steer.Hooks;
using Steer.IO;
using Steer.IO.Gguf;
using Steer.Models;
using Steer.Steering;
using Steer.Steering.Files;
using Steer.Tokenization;
using Steer.Tokenization.HuggingFace;

namespace Steer.Fuzz;

/// <summary>
/// The parsers of untrusted bytes, each fed one input. Shared by the AFL harness and by the test that replays the
/// regression corpus in CI, so a crash found here is replayed through exactly the same calls.
/// A parser may accept an input or reject it with <see cref="SteerException"/>; any other exception is a bug.
/// </summary>
internal static class CoreTargets
{
    /// <summary>Target name → (file name the parser expects, what to do with the file in a scratch directory).</summary>
    public static readonly IReadOnlyDictionary<string, (string FileName, Action<string> Run)> All =
        new Dictionary<string, (string, Action<string>)>(StringComparer.Ordinal)
        {
            ["safetensors"] = ("model.safetensors", Safetensors),
            ["shard-index"] = ("model.safetensors.index.json", path => ShardIndex.FileNames(path)),
            ["config"] = ("config.json", Config),
            ["vector"] = ("vector.safetensors", path => SteeringVectorFile.Load(path)),
            ["gguf"] = ("control.gguf", Gguf),
            ["tokenizer"] = ("tokenizer.json", Tokenizer),
            ["template"] = ("template.jinja", Template),
        };

    /// <summary>Text that exercises normalizers, pre-tokenizers, byte fallback and added tokens.</summary>
    private static readonly string[] Samples = ["Hello, world! It's 2024.", "  tabs\tand\nnewlines  ", "naïve café 日本語 🙂", "<|endoftext|><s></s>"];

    private const string DefaultMessages =
        """[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello"},{"role":"user","content":"Bye"}]""";

    /// <summary>Runs <paramref name="target"/> on <paramref name="input"/>; the rejection, or null when the input was accepted.</summary>
    public static SteerException? Run(string target, byte[] input, string scratch)
    {
        var (fileName, run) = All[target];
        var path = Path.Combine(scratch, fileName);
        File.WriteAllBytes(path, input);
        try
        {
            run(path);
            return null;
        }
        catch (SteerException e)
        {
            return e;
        }
    }

    private static void Safetensors(string path)
    {
        using var file = SafetensorsFile.Open(path);
        foreach (var entry in file.Entries)
        {
            _ = entry.ElementCount + entry.ByteLength;
            using var tensor = file.Read(entry);
        }
    }

    private static void Config(string path)
    {
        var (architecture, config) = ModelRegistry.Read(path);
        // What loading does next with a parsed config; a config that parses but breaks these is a bug too.
        _ = architecture.Layout(config);
        _ = architecture.HookPoints(config);
        _ = architecture.DefaultDType(config);
    }

    private static void Gguf(string path)
    {
        using var file = GgufFile.Open(path);
        foreach (var tensor in file.Tensors)
        {
            try
            {
                file.ReadFloats(tensor);
            }
            catch (SteerException)
            {
                // A quantized tensor is refused by ReadFloats; the others should still be read.
            }
        }

        // Then as a control vector, for a model as wide as its first tensor, so the checks past the width are reached too.
        var width = file.Tensors.Count > 0 && file.Tensors[0].Dims[0] is > 0 and <= 4096 ? (int)file.Tensors[0].Dims[0] : 8;
        ControlVectorFile.Load(path, Model(width));
    }

    private static ModelDescription Model(int width)
    {
        var shape = new ModelShape(Layers: 32, ModelDim: width, Heads: 1, VocabSize: 16, ContextLength: 16);
        var names = Enumerable.Range(0, shape.Layers).Select(HookNames.ResidPost).ToList();
        return new ModelDescription("fuzz", shape, new MissingTokenizer(shape.VocabSize, null), [0], new HookRegistry(names));
    }

    private static void Tokenizer(string path)
    {
        // Both readers of tokenizer.json: the general Hugging Face one, and the GPT-2 one; one accepting is enough.
        var directory = Path.GetDirectoryName(path)!;
        SteerException? rejected = null;
        var accepted = false;
        foreach (var load in new Func<ITokenizer?>[] { () => HuggingFaceTokenizerLoader.Load(path, null), () => Gpt2Tokenizer.FromDirectory(directory) })
        {
            try
            {
                var tokenizer = load()!;
                foreach (var text in Samples)
                {
                    var ids = tokenizer.Encode(text);
                    tokenizer.Decode(ids);
                    foreach (var id in ids) tokenizer.TokenText(id);
                }
                accepted = true;
            }
            catch (SteerException e)
            {
                rejected = e;
            }
        }
        if (!accepted) throw rejected!;
    }

    private static void Template(string path)
    {
        // The template, then optionally a NUL and the messages JSON, so both the template and its input are fuzzed.
        var text = File.ReadAllText(path);
        var nul = text.IndexOf('\0');
        var (template, messages) = nul < 0 ? (text, DefaultMessages) : (text[..nul], text[(nul + 1)..]);
        var tokens = new Dictionary<string, string> { ["bos_token"] = "<s>", ["eos_token"] = "</s>" };
        ChatPrompt.Render(new ChatTemplateSource(template, tokens, "fuzz"), messages, addGenerationPrompt: true, now: new DateTime(2024, 1, 2));
    }
}
