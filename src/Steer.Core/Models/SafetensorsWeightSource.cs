using Steer.IO;
using static TorchSharp.torch;

namespace Steer.Models;

/// <summary>The tensors of one safetensors file or of all shards of a sharded checkpoint.</summary>
internal sealed class SafetensorsWeightSource : IWeightSource
{
    private readonly List<SafetensorsFile> _files = [];
    private readonly Dictionary<string, (SafetensorsFile File, SafetensorsEntry Entry)> _entries = new(StringComparer.Ordinal);

    public SafetensorsWeightSource(IReadOnlyList<string> paths)
    {
        try
        {
            foreach (var path in paths)
            {
                var file = SafetensorsFile.Open(path);
                _files.Add(file);
                foreach (var entry in file.Entries)
                    if (!_entries.TryAdd(entry.Name, (file, entry)))
                        throw new SteerException(ErrorKind.InvalidModel,
                            $"{path}: tensor '{entry.Name}' is also stored in {_entries[entry.Name].File.Path}");
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public IReadOnlyList<string> Names => [.. _entries.Keys];

    public IReadOnlyList<long> ShapeOf(string name) => _entries[name].Entry.Shape;

    public void ReadInto(string name, Tensor destination)
    {
        var (file, entry) = _entries[name];
        file.ReadInto(entry, destination);
    }

    public void Dispose()
    {
        foreach (var file in _files) file.Dispose();
    }
}
