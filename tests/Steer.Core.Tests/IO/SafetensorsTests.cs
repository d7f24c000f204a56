using System.Text.Json;
using Steer.IO;
using Steer.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Steer.Tests.IO;

public class SafetensorsTests
{
    public SafetensorsTests() => TorchRuntime.EnsureLoaded();

    /// <summary>Bitwise equality; Shouldly's element-by-element ShouldBe is far too slow for megabyte tensors.</summary>
    private static bool SameBytes(Tensor actual, Tensor expected) =>
        actual.dtype == expected.dtype && actual.bytes.SequenceEqual(expected.bytes);

    [Fact]
    public void Tensors_and_metadata_written_by_the_writer_read_back_bit_for_bit()
    {
        using var dir = new TempDirectory();
        var path = dir.File("model.safetensors");
        using var f32 = torch.randn(3, 4);
        using var f16 = torch.randn(5).to_type(ScalarType.Float16);
        using var bf16 = torch.randn(2, 3).to_type(ScalarType.BFloat16);
        using var i64 = torch.tensor(new long[] { long.MinValue, -1, 0, long.MaxValue });
        var metadata = new Dictionary<string, string> { ["format"] = "pt", ["note"] = "héllo \"quoted\"" };

        SafetensorsWriter.Write(path, [("w.f32", f32), ("w.f16", f16), ("w.bf16", bf16), ("ids", i64)], metadata);

        using var file = SafetensorsFile.Open(path);
        file.Metadata.ShouldBe(metadata, ignoreOrder: true);
        file.Entries.Select(e => e.Name).ShouldBe(["w.f32", "w.f16", "w.bf16", "ids"]);
        file.Entries.Select(e => e.Begin).ShouldBeInOrder();
        foreach (var (name, expected) in new[] { ("w.f32", f32), ("w.f16", f16), ("w.bf16", bf16), ("ids", i64) })
        {
            using var actual = file.Read(file.Find(name)!);
            actual.dtype.ShouldBe(expected.dtype);
            actual.shape.ShouldBe(expected.shape);
            SameBytes(actual, expected).ShouldBeTrue(name);
        }
        File.Exists(path + ".tmp").ShouldBeFalse();
    }

    [Fact]
    public void Written_headers_are_padded_so_the_data_section_is_8_byte_aligned()
    {
        using var dir = new TempDirectory();
        var path = dir.File("a.safetensors");
        using var t = torch.ones(3, dtype: ScalarType.Int8);

        SafetensorsWriter.Write(path, [("odd_name", t)]);

        var headerLength = BitConverter.ToUInt64(File.ReadAllBytes(path), 0);
        ((8 + headerLength) % 8).ShouldBe(0UL);
    }

    [Fact]
    public void The_written_header_is_the_standard_layout_with_contiguous_offsets()
    {
        using var dir = new TempDirectory();
        var path = dir.File("layout.safetensors");
        using var a = torch.zeros(2, 3, dtype: ScalarType.Float16);
        using var b = torch.zeros(5, dtype: ScalarType.Int32);

        SafetensorsWriter.Write(path, [("a", a), ("b", b)], new Dictionary<string, string> { ["format"] = "pt" });

        var bytes = File.ReadAllBytes(path);
        var headerLength = (int)BitConverter.ToUInt64(bytes, 0);
        using var header = JsonDocument.Parse(bytes.AsMemory(8, headerLength));
        var root = header.RootElement;
        root.GetProperty("__metadata__").GetProperty("format").GetString().ShouldBe("pt");
        root.GetProperty("a").GetRawText().ShouldBe("{\"dtype\":\"F16\",\"shape\":[2,3],\"data_offsets\":[0,12]}");
        root.GetProperty("b").GetRawText().ShouldBe("{\"dtype\":\"I32\",\"shape\":[5],\"data_offsets\":[12,32]}");
        bytes.Length.ShouldBe(8 + headerLength + 32);
    }

    [Fact]
    public void Direct_reads_larger_than_one_chunk_are_complete()
    {
        using var dir = new TempDirectory();
        var path = dir.File("big.safetensors");
        // 4M + 3 floats: just over the reader's 16 MB direct-read chunk.
        using var source = torch.randn(4 * 1024 * 1024 + 3);
        SafetensorsWriter.Write(path, [("big", source)]);

        using var file = SafetensorsFile.Open(path);
        using var actual = file.Read(file.Find("big")!);
        SameBytes(actual, source).ShouldBeTrue();
    }

    [Fact]
    public void Scalar_and_zero_sized_tensors_round_trip()
    {
        using var dir = new TempDirectory();
        var path = dir.File("edge.safetensors");
        using var scalar = torch.tensor(2.5f);
        using var empty = torch.empty(0, 3);
        using var flag = torch.tensor(new[] { true, false, true });

        SafetensorsWriter.Write(path, [("scalar", scalar), ("empty", empty), ("flag", flag)]);

        using var file = SafetensorsFile.Open(path);
        using var readScalar = file.Read(file.Find("scalar")!);
        readScalar.shape.ShouldBeEmpty();
        readScalar.item<float>().ShouldBe(2.5f);
        using var readEmpty = file.Read(file.Find("empty")!);
        readEmpty.shape.ShouldBe([0L, 3L]);
        using var readFlag = file.Read(file.Find("flag")!);
        readFlag.data<bool>().ToArray().ShouldBe([true, false, true]);
    }

    [Fact]
    public void ReadInto_converts_bf16_to_float32_exactly_as_torch_does_across_chunks()
    {
        using var dir = new TempDirectory();
        var path = dir.File("bf16.safetensors");
        // More than the reader's 1M-element conversion chunk, so the chunk boundary is exercised.
        using var source = (torch.randn(1_500_001) * 100).to_type(ScalarType.BFloat16);
        SafetensorsWriter.Write(path, [("x", source)]);

        using var file = SafetensorsFile.Open(path);
        using var destination = torch.empty(1_500_001, dtype: ScalarType.Float32);
        file.ReadInto(file.Find("x")!, destination);

        using var expected = source.to_type(ScalarType.Float32);
        SameBytes(destination, expected).ShouldBeTrue();
    }

    [Fact]
    public void ReadInto_converts_float32_to_bf16_with_torch_rounding_into_a_reshaped_destination()
    {
        using var dir = new TempDirectory();
        var path = dir.File("f32.safetensors");
        using var source = torch.randn(1000, 1201);
        SafetensorsWriter.Write(path, [("x", source)]);

        using var file = SafetensorsFile.Open(path);
        using var destination = torch.empty(1201, 1000, dtype: ScalarType.BFloat16);
        file.ReadInto(file.Find("x")!, destination);

        using var expected = source.to_type(ScalarType.BFloat16).reshape(1201, 1000);
        SameBytes(destination, expected).ShouldBeTrue();
    }

    [Fact]
    public void ReadInto_refuses_a_destination_with_a_different_element_count_naming_the_tensor()
    {
        using var dir = new TempDirectory();
        var path = dir.File("a.safetensors");
        using var source = torch.zeros(4, 4);
        SafetensorsWriter.Write(path, [("h.0.attn.c_attn.weight", source)]);

        using var file = SafetensorsFile.Open(path);
        using var destination = torch.empty(4, 5);
        var error = Should.Throw<SteerException>(() => file.ReadInto(file.Entries[0], destination));
        error.Kind.ShouldBe(ErrorKind.InvalidModel);
        error.Message.ShouldContain("h.0.attn.c_attn.weight");
    }

    [Fact]
    public void ReadInto_refuses_to_convert_integers_to_floats()
    {
        using var dir = new TempDirectory();
        var path = dir.File("a.safetensors");
        using var source = torch.zeros(4, dtype: ScalarType.Int64);
        SafetensorsWriter.Write(path, [("ids", source)]);

        using var file = SafetensorsFile.Open(path);
        using var destination = torch.empty(4);
        var error = Should.Throw<SteerException>(() => file.ReadInto(file.Entries[0], destination));
        error.Kind.ShouldBe(ErrorKind.InvalidModel);
        error.Message.ShouldContain("I64");
    }

    [Fact]
    public void The_streaming_writer_converts_to_the_declared_dtype_and_disposes_each_tensor()
    {
        using var dir = new TempDirectory();
        var path = dir.File("stream.safetensors");
        using var reference = torch.randn(64, 33);
        var produced = new List<Tensor>();
        (string, SafetensorsDType, long[])[] layout = [("a", SafetensorsDType.BF16, [64, 33]), ("b", SafetensorsDType.F16, [64, 33])];

        SafetensorsWriter.Write(path, layout, i =>
        {
            produced.ShouldAllBe(t => t.IsInvalid, "the previous tensor is disposed before the next is produced");
            var t = reference.clone();
            produced.Add(t);
            return t;
        });

        produced.Count.ShouldBe(2);
        produced.ShouldAllBe(t => t.IsInvalid);
        using var file = SafetensorsFile.Open(path);
        using var a = file.Read(file.Find("a")!);
        using var b = file.Read(file.Find("b")!);
        using var expectedA = reference.to_type(ScalarType.BFloat16);
        using var expectedB = reference.to_type(ScalarType.Float16);
        SameBytes(a, expectedA).ShouldBeTrue();
        SameBytes(b, expectedB).ShouldBeTrue();
    }

    [Fact]
    public void A_non_contiguous_tensor_is_written_in_logical_order()
    {
        using var dir = new TempDirectory();
        var path = dir.File("t.safetensors");
        using var source = torch.arange(6, dtype: ScalarType.Float32).reshape(2, 3);
        using var transposed = source.t();

        SafetensorsWriter.Write(path, [("t", transposed)]);

        using var file = SafetensorsFile.Open(path);
        using var actual = file.Read(file.Entries[0]);
        actual.shape.ShouldBe([3L, 2L]);
        actual.data<float>().ToArray().ShouldBe([0f, 3f, 1f, 4f, 2f, 5f]);
    }

    [Fact]
    public void A_failing_producer_leaves_neither_the_target_nor_a_temporary_file()
    {
        using var dir = new TempDirectory();
        var path = dir.File("fail.safetensors");
        File.WriteAllText(path, "previous contents");
        (string, SafetensorsDType, long[])[] layout = [("a", SafetensorsDType.F32, [2])];

        Should.Throw<InvalidOperationException>(() =>
            SafetensorsWriter.Write(path, layout, _ => throw new InvalidOperationException("boom")));

        File.ReadAllText(path).ShouldBe("previous contents");
        File.Exists(path + ".tmp").ShouldBeFalse();
    }

    [Fact]
    public void The_streaming_writer_refuses_a_tensor_whose_shape_differs_from_the_layout()
    {
        using var dir = new TempDirectory();
        var path = dir.File("shape.safetensors");
        (string, SafetensorsDType, long[])[] layout = [("a", SafetensorsDType.F32, [2, 3])];

        Should.Throw<ArgumentException>(() => SafetensorsWriter.Write(path, layout, _ => torch.zeros(3, 2)))
            .Message.ShouldContain("'a'");
        File.Exists(path).ShouldBeFalse();
    }
}
