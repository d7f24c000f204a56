using static TorchSharp.torch;

namespace Steer.Models;

/// <summary>Named tensors that a loader copies into a model's parameters, one at a time.</summary>
internal interface IWeightSource : IDisposable
{
    /// <summary>Every tensor name in the source, exactly as stored.</summary>
    IReadOnlyList<string> Names { get; }

    IReadOnlyList<long> ShapeOf(string name);

    /// <summary>Copies tensor <paramref name="name"/> into <paramref name="destination"/>, converting its dtype.</summary>
    void ReadInto(string name, Tensor destination);
}
