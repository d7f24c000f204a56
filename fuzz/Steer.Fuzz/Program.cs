using SharpFuzz;
using Steer.Fuzz;

// Usage: Steer.Fuzz TARGET              run under afl-fuzz (fuzz/run.sh does this)
//        Steer.Fuzz TARGET FILE...      replay inputs, printing accepted/rejected, for triage
var targets = CoreTargets.All.Keys.Append("server").ToList();
if (args.Length == 0 || !targets.Contains(args[0]))
{
    Console.Error.WriteLine($"usage: Steer.Fuzz TARGET [FILE...]; targets: {string.Join(", ", targets)}");
    return 2;
}

var target = args[0];
// One scratch directory per process: parsers take paths, and afl may run several instances.
var scratch = Directory.CreateTempSubdirectory("steer-fuzz-").FullName;
Exception? RunOne(byte[] input) => target == "server" ? ServerTarget.Run(input) : CoreTargets.Run(target, input, scratch);

try
{
    if (args.Length > 1)
    {
        foreach (var file in args.Skip(1))
            Console.WriteLine($"{file}: {(RunOne(File.ReadAllBytes(file)) is { } rejection ? $"rejected: {rejection.Message}" : "accepted")}");
        return 0;
    }

    // Out of process: a stack overflow or a hang kills only the child, and afl still records the input.
    Fuzzer.OutOfProcess.Run(stream =>
    {
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        RunOne(buffer.ToArray());
    });
    return 0;
}
finally
{
    Directory.Delete(scratch, recursive: true);
}
