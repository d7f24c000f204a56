using System.CommandLine;
using System.Security.Cryptography;
using System.Text;
using Steer.Sharding;
using Steer.Steering;

namespace Steer.Cli.Commands.Shared;

/// <summary>--shard I/N and --out DIR of an evaluation that can run as shards (joined by <c>steer eval merge</c>).</summary>
/// <param name="outAlone">What --out does without --shard, for a command where it has a use of its own; null refuses it.</param>
internal sealed class ShardArguments(string what, string? outAlone = null)
{
    private readonly Option<string?> _shard = new("--shard")
    {
        Description = $"I/N: compute only shard I (from 0) of N of the {what} and write DIR/eval-shard-I-of-N.json (needs --out); join the N files with 'steer eval merge'.",
    };

    private readonly Option<string?> _out = new("--out") { Description = "With --shard: the directory for the shard file." + (outAlone is null ? "" : $" Without: {outAlone}") };

    public void AddTo(Command command)
    {
        command.Add(_shard);
        command.Add(_out);
    }

    /// <summary>The options this group adds, for commands that take them in one mode only.</summary>
    public IReadOnlyList<Option> Options => [_shard, _out];

    /// <summary>The shard asked for (null for the whole job) and its output directory, checked before any work.</summary>
    /// <param name="outAlone">Whether --out may come without --shard here (see the constructor); it is checked as a directory too.</param>
    public (Shard? Shard, string? Directory) Parse(ParseResult parse, bool outAlone = false)
    {
        var directory = parse.GetValue(_out);
        if (parse.GetValue(_shard) is not { } text)
        {
            if (directory is null) return (null, null);
            if (!outAlone) throw new SteerException(ErrorKind.InvalidArgument, "--out is where --shard writes its shard file; give --shard I/N too");
            OutputPath.CheckDirectory(directory, "--out");
            return (null, directory);
        }
        var shard = Shard.Parse(text);
        if (directory is null) throw new SteerException(ErrorKind.InvalidArgument, "--shard needs --out DIR for the shard file");
        OutputPath.CheckDirectory(directory, "--out");
        return (shard, directory);
    }

    /// <summary>SHA-256 over everything an evaluation's numbers depend on, for telling its shards from another's.</summary>
    public static string Fingerprint(LanguageModel model, SteeringVector? vector, IEnumerable<string> inputs)
    {
        var text = new StringBuilder($"model {model.Name} {model.DType} {model.ParameterCount} {model.Shape}\n");
        foreach (var component in vector?.Components ?? [])
        {
            var values = MemoryMarshalBytes(component.Values);
            text.Append($"vector {component.HookPoint} {component.Mode} {component.Positions} {Convert.ToHexStringLower(SHA256.HashData(values))}\n");
        }
        foreach (var input in inputs) text.Append(input).Append('\n');
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    private static byte[] MemoryMarshalBytes(float[] values) => System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
}
