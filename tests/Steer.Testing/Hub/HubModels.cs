using System.Text;
using Steer.Architectures;
using Steer.Models;
using Steer.Models.Gpt2;
using Steer.Tests.IO;
using Steer.Tests.Models;

namespace Steer.Tests.Hub;

/// <summary>
/// The files of small formula-built models as a Hub repository holds them, including files Steer must never
/// fetch (a pickle, Flax weights, a README). Built once per test run.
/// </summary>
internal static class HubModels
{
    private static readonly Lazy<IReadOnlyDictionary<string, byte[]>> s_single = new(() => Build(sharded: false));
    private static readonly Lazy<IReadOnlyDictionary<string, byte[]>> s_sharded = new(() => Build(sharded: true));

    /// <summary>Files Steer fetches from <see cref="Single"/>, in the order it fetches them.</summary>
    public static readonly string[] SingleFetched = ["config.json", "model.safetensors", "tokenizer_config.json", "generation_config.json", "chat_template.jinja"];

    /// <summary>config.json and model.safetensors of <see cref="Checkpoints.Config"/> (about 100 KB), with extras.</summary>
    public static IReadOnlyDictionary<string, byte[]> Single => s_single.Value;

    /// <summary>The same model in two safetensors shards with model.safetensors.index.json.</summary>
    public static IReadOnlyDictionary<string, byte[]> Sharded => s_sharded.Value;

    /// <summary>A repository with config.json and only pickle weights.</summary>
    public static IReadOnlyDictionary<string, byte[]> PickleOnly => new Dictionary<string, byte[]>
    {
        ["config.json"] = Single["config.json"],
        ["pytorch_model.bin"] = Encoding.ASCII.GetBytes("not really a pickle"),
    };

    private static IReadOnlyDictionary<string, byte[]> Build(bool sharded)
    {
        using var directory = new TempDirectory();
        if (sharded)
        {
            var tensors = Checkpoints.Tensors();
            var half = tensors.Count / 2;
            Checkpoints.WriteSharded(directory.Path, [tensors.Take(half).ToList(), tensors.Skip(half).ToList()]);
            tensors.Dispose();
        }
        else
        {
            FormulaModel.Write(directory.Path, Checkpoints.Config, Checkpoints.Seed);
        }
        var files = Directory.EnumerateFiles(directory.Path).ToDictionary(path => Path.GetFileName(path), File.ReadAllBytes);
        files["tokenizer_config.json"] = Encoding.UTF8.GetBytes("""{"model_max_length": 32}""");
        files["generation_config.json"] = Encoding.UTF8.GetBytes("""{"bos_token_id": 50256}""");
        files["chat_template.jinja"] = Encoding.UTF8.GetBytes("{{ messages[0].content }}");
        files["README.md"] = Encoding.UTF8.GetBytes("# a formula model\n");
        files["pytorch_model.bin"] = Encoding.ASCII.GetBytes("never fetched");
        files["flax_model.msgpack"] = Encoding.ASCII.GetBytes("never fetched");
        return files;
    }
}
