using System.Collections.Concurrent;
using Steer.Server.Contracts;
using Steer.Steering;

namespace Steer.Server.Steering;

/// <summary>A registered vector and how it is described to clients.</summary>
internal sealed record RegisteredVector(SteeringVector Vector, VectorInfo Info);

/// <summary>
/// The vectors registered with POST /v1/vectors, by id; safe to use from any thread. With a <see cref="VectorStore"/>
/// every change is written through to disk before it is visible, and the stored vectors are there from the start.
/// </summary>
internal sealed class VectorRegistry
{
    private readonly ConcurrentDictionary<string, RegisteredVector> _vectors = new(StringComparer.Ordinal);
    private readonly object _addLock = new();
    private readonly ServerOptions _options;
    private readonly VectorStore? _store;

    public VectorRegistry(ServerOptions options, VectorStore? store = null, IEnumerable<RegisteredVector>? stored = null)
    {
        _options = options;
        _store = store;
        foreach (var vector in stored ?? []) _vectors[vector.Info.Id] = vector;
    }

    public bool Contains(string id) => _vectors.ContainsKey(id);

    public RegisteredVector? Get(string id) => _vectors.GetValueOrDefault(id);

    public IReadOnlyList<VectorInfo> List() => _vectors.Values.Select(v => v.Info).OrderBy(i => i.Created).ThenBy(i => i.Id, StringComparer.Ordinal).ToList();

    /// <returns>False when the registry is full.</returns>
    public bool TryAdd(RegisteredVector vector)
    {
        lock (_addLock)
        {
            if (_vectors.Count >= _options.MaxVectors || _vectors.ContainsKey(vector.Info.Id)) return false;
            _store?.Save(vector);
            return _vectors.TryAdd(vector.Info.Id, vector);
        }
    }

    public bool Remove(string id)
    {
        lock (_addLock)
        {
            if (!_vectors.TryRemove(id, out _)) return false;
            _store?.Delete(id);
            return true;
        }
    }

    public static string NewId() => "vec_" + Guid.NewGuid().ToString("N")[..24];
}
