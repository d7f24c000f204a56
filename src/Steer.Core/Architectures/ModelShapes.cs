using Steer.Models;

namespace Steer.Architectures;

/// <summary>The named model shapes of every registered architecture (tiny, gpt2, ...), for benchmarks and demos.</summary>
public static class ModelShapes
{
    public static IReadOnlyCollection<string> Names => [.. ModelRegistry.Shapes.Keys];

    /// <exception cref="SteerException">InvalidArgument for an unknown name, listing the known ones.</exception>
    public static IModelConfig Get(string name) =>
        ModelRegistry.Shapes.TryGetValue(name, out var config) ? config
            : throw new SteerException(ErrorKind.InvalidArgument, $"unknown shape '{name}'; use one of {string.Join(", ", Names)}");
}
