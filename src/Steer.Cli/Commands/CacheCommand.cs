using System.CommandLine;
using System.Text.Json;
using Steer.Cli.Commands.Shared;
using Steer.IO;

namespace Steer.Cli.Commands;

/// <summary>
/// <c>steer cache --prompt P | --ids 1,2,3 --hook NAME [--hook NAME ...] --out acts.safetensors [--json]</c>:
/// the activations of one forward pass at the named hook points, as float32 safetensors named by hook point,
/// each with the batch dimension kept (<c>[1, pos, ...]</c>, as TransformerLens's cache has them).
/// </summary>
internal static class CacheCommand
{
    /// <summary>The --hook value that stands for every hook point of the model.</summary>
    private const string All = "all";

    public static Command Create(CliContext context)
    {
        var model = new ModelArguments(context);
        var input = new InputArguments("--prompt", "The text to run; the BOS token (GPT-2: <|endoftext|>) is prepended, if the tokenizer adds one, unless --no-bos.");
        var hooks = new Option<string[]>("--hook")
        {
            Description = "A hook point to record, e.g. blocks.6.hook_resid_pre; repeatable; 'all' for every one.",
            Required = true,
            AllowMultipleArgumentsPerToken = false,
        };
        var output = new Option<string>("--out") { Description = "Where to write the activations (safetensors).", Required = true };
        var json = new Option<bool>("--json") { Description = "Print {\"out\",\"model\",\"ids\",\"tensors\":[{\"name\",\"shape\",\"dtype\"}]}." };
        var command = new Command("cache", "Save the activations of one forward pass at named hook points as safetensors.") { hooks, output, json };
        model.AddTo(command);
        input.AddTo(command);
        command.SetAction(parse =>
        {
            var path = parse.GetValue(output)!;
            OutputPath.Check(path, "--out");
            using var lm = model.Load(parse);
            var ids = input.Ids(parse, lm.Tokenizer);
            // Canonical names in the order given, each hook point once however it was named; unknown names throw here.
            var given = parse.GetValue(hooks)!;
            var names = given.SelectMany(h => h == All ? lm.HookPoints : [h]).Select(lm.Hooks.Resolve).Distinct().ToList();
            using var cache = lm.ReadActivations(ids, names);
            var tensors = names.Select(name => (Name: name, Shape: cache[name].shape)).ToList();
            var metadata = new Dictionary<string, string>
            {
                ["format"] = "pt",
                ["model"] = lm.Name,
                ["ids"] = JsonSerializer.Serialize(ids),
            };
            OutputPath.CreateParent(path, "--out");
            // float32 whatever the compute dtype: the writer converts chunk by chunk; each alias is disposed after writing.
            SafetensorsWriter.Write(path, tensors.Select(t => (t.Name, SafetensorsDType.F32, t.Shape)).ToList(),
                i => cache[tensors[i].Name].alias(), metadata);

            if (parse.GetValue(json))
            {
                Json.Write(context.Output, new
                {
                    @out = path,
                    model = lm.Name,
                    ids,
                    tensors = tensors.Select(t => new { name = t.Name, shape = t.Shape, dtype = "float32" }),
                });
                return ExitCodes.Ok;
            }
            TextTable.Write(context.Output, ["name", "shape", "dtype"],
                tensors.Select(t => (IReadOnlyList<string>)[t.Name, $"[{string.Join(", ", t.Shape)}]", "float32"]), textColumns: 3, width: context.Width);
            context.Output.WriteLine($"wrote {path} ({Count(tensors.Count, "tensor")}, {Count(ids.Count, "token")})");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static string Count(int n, string noun) => $"{n} {noun}{(n == 1 ? "" : "s")}";
}
