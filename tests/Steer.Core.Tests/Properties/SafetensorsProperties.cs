using CsCheck;
using Steer.IO;
using Steer.Tests.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace Steer.Tests.Properties;

/// <summary>Whatever the writer writes, the reader reads back bit for bit: names, dtypes, shapes, values, metadata.</summary>
public class SafetensorsProperties
{
    private sealed record Entry(string Name, SafetensorsDType DType, long[] Shape, float[] Values);

    private static readonly Gen<Entry> GenEntry =
        from dtype in Gen.OneOf(SafetensorsDType.F32, SafetensorsDType.F16, SafetensorsDType.BF16)
        from shape in Gen.Int[0, 4].Select(d => (long)d).Array[0, 3]
        from values in Gen.Float[-1e4f, 1e4f].Array[(int)shape.Aggregate(1L, (a, b) => a * b)]
        from name in Gen.String[Gen.Char["abcdefghij._0123456789"], 1, 12]
        select new Entry(name, dtype, shape, values);

    private static readonly Gen<(Entry[] Entries, Dictionary<string, string> Metadata)> GenFile =
        from entries in GenEntry.Array[0, 4]
        from metadata in Gen.String[Gen.Char["kv"], 1, 4].Dictionary(Gen.String[Gen.Char["abc xyz-\"\\é日"], 0, 8])[0, 3]
        select (entries.DistinctBy(e => e.Name).ToArray(), metadata);

    [Fact]
    public void What_is_written_is_read_back_exactly()
    {
        using var dir = new TempDirectory();
        // One thread: each sample writes a file, and torch is the expensive part, not the generator.
        GenFile.Sample(sample =>
        {
            var (entries, metadata) = sample;
            var path = dir.File("round-trip.safetensors");
            using var scope = NewDisposeScope();
            var tensors = entries.Select(e => (e.Name, tensor(e.Values, ScalarType.Float32).reshape(e.Shape).to(e.DType.ToScalarType()))).ToList();
            SafetensorsWriter.Write(path, tensors, metadata);

            using var file = SafetensorsFile.Open(path);
            file.Metadata.ShouldBe(metadata, ignoreOrder: true);
            file.Entries.Select(e => e.Name).ShouldBe(entries.Select(e => e.Name), ignoreOrder: true);
            foreach (var (name, written) in tensors)
            {
                var entry = file.Find(name).ShouldNotBeNull();
                ((SafetensorsDType?)entry.DType).ShouldBe(SafetensorsDTypes.FromScalarType(written.dtype));
                entry.Shape.ShouldBe(written.shape);
                using var read = file.Read(entry);
                read.bytes.ToArray().ShouldBe(written.bytes.ToArray(), $"tensor '{name}' {entry.DType} [{string.Join(", ", entry.Shape)}]");
            }
        }, iter: 150, threads: 1);
    }
}
