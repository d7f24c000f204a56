using System.Collections.Concurrent;
using Steer.Server.Contracts;
using Steer.Steering;

namespace Steer.Server.Steering;

/// <summary>A registered vector and how it is described to clients.</summary>
internal sealed record RegisteredVector(SteeringVector Vector, VectorInfo Info);

/// <summary>The vectors registered with POST /v1/vectors, by id; safe to use from any thread.</summary>
internal sealed class VectorRegistry(ServerOptions options)
{
    private readonly ConcurrentDictionary<string, RegisteredVector> _vectors = new(StringComparer.Ordinal);
    private readonly object _addLock = new();

    public bool Contains(string id) => _vectors.ContainsKey(id);

    public RegisteredVector? Get(string id) => _vectors.GetValueOrDefault(id);

    public IReadOnlyList<VectorInfo> List() => _vectors.Values.Select(v => v.Info).OrderBy(i => i.Created).ThenBy(i => i.Id, StringComparer.Ordinal).ToList();

    /// <returns>False when the registry is full.</returns>
    public bool TryAdd(RegisteredVector vector)
    {
        lock (_addLock)
        {
            if (_vectors.Count >= options.MaxVectors) return false;
            return _vectors.TryAdd(vector.Info.Id, vector);
        }
    }

    public bool Remove(string id) => _vectors.TryRemove(id, out _);

    public static string NewId() => "vec_" + Guid.NewGuid().ToString("N")[..24];
}
