using Steer.IO.Gguf;

namespace Steer.Tests.IO;

/// <summary>Reading the control vectors llama.cpp and gguf-py wrote (TestData/cvec), and writing files they would write.</summary>
public class GgufTests
{
    private static readonly string G2Mean = TestData.PathOf(Path.Combine("cvec", "g2-mean.gguf"));
    private static readonly string RandomL1 = TestData.PathOf(Path.Combine("cvec", "random-l1.gguf"));

    [Fact]
    public void The_control_vector_written_by_llama_cvector_generator_reads_with_its_exact_types()
    {
        using var file = GgufFile.Open(G2Mean);

        file.Version.ShouldBe(3u);
        file.Alignment.ShouldBe(32);
        file.Metadata.Select(m => m.Key).ShouldBe(["general.architecture", "controlvector.model_hint", "controlvector.layer_count"]);
        file.Metadata.Select(m => m.Value).ShouldBe([GgufValue.String("controlvector"), GgufValue.String("gpt2"), GgufValue.Int32(2)]);
        file.TryGetString("controlvector.model_hint", out var hint).ShouldBeTrue();
        hint.ShouldBe("gpt2");
        file.TryGetInteger("controlvector.layer_count", out var layers).ShouldBeTrue();
        layers.ShouldBe(2);
        file.Tensors.Select(t => (t.Name, t.Type, t.Offset, t.ElementCount, t.ByteLength))
            .ShouldBe([("direction.1", GgmlType.F32, 0L, 96L, 384L), ("direction.2", GgmlType.F32, 384L, 96L, 384L)]);
        file.Tensors.ShouldAllBe(t => t.Dims.SequenceEqual(new long[] { 96 }));
        file.DataStart.ShouldBe(256);
    }

    [Fact]
    public void The_generators_directions_are_unit_norm()
    {
        using var file = GgufFile.Open(G2Mean);

        var norms = file.Tensors.Select(t => Math.Sqrt(file.ReadFloats(t).Sum(v => (double)v * v))).ToList();

        norms.ShouldAllBe(n => Math.Abs(n - 1) < 1e-5);
    }

    [Fact]
    public void The_control_vector_written_by_gguf_py_has_a_uint32_layer_count_and_standard_normal_values()
    {
        using var file = GgufFile.Open(RandomL1);

        file.Metadata.Select(m => (m.Key, m.Value)).ShouldBe([
            ("general.architecture", GgufValue.String("controlvector")),
            ("controlvector.model_hint", GgufValue.String("gpt2")),
            ("controlvector.layer_count", GgufValue.UInt32(1))]);
        file.TryGetInteger("controlvector.layer_count", out var layers).ShouldBeTrue();
        layers.ShouldBe(1);
        file.Tensors.Single().Name.ShouldBe("direction.1");
        file.DataStart.ShouldBe(224);
        var values = file.ReadFloats("direction.1");
        values.Length.ShouldBe(96);
        var mean = values.Average(v => (double)v);
        var std = Math.Sqrt(values.Average(v => (v - mean) * (v - mean)));
        Math.Abs(mean).ShouldBeLessThan(0.4);
        std.ShouldBeInRange(0.7, 1.3);
    }

    [Theory]
    [InlineData("g2-mean.gguf")]
    [InlineData("random-l1.gguf")]
    public void Writing_what_was_read_reproduces_llama_cpps_and_gguf_pys_bytes(string name)
    {
        var original = TestData.PathOf(Path.Combine("cvec", name));
        using var dir = new TempDirectory();
        var copy = dir.File(name);
        using (var file = GgufFile.Open(original))
        {
            GgufWriter.Write(copy, file.Metadata, [.. file.Tensors.Select(t => (t.Name, t.Dims.ToArray(), file.ReadFloats(t)))]);
        }

        File.ReadAllBytes(copy).ShouldBe(File.ReadAllBytes(original));
    }

    [Fact]
    public void Every_value_type_and_tensor_shape_round_trips()
    {
        using var dir = new TempDirectory();
        var path = dir.File("all.gguf");
        (string, GgufValue)[] metadata =
        [
            ("general.architecture", GgufValue.String("controlvector")),
            ("u8", GgufValue.UInt8(255)), ("i8", GgufValue.Int8(-128)),
            ("u16", GgufValue.UInt16(65535)), ("i16", GgufValue.Int16(-32768)),
            ("u32", GgufValue.UInt32(uint.MaxValue)), ("i32", GgufValue.Int32(int.MinValue)),
            ("u64", GgufValue.UInt64(ulong.MaxValue)), ("i64", GgufValue.Int64(long.MinValue)),
            ("f32", GgufValue.Float32(-1.5e-38f)), ("f64", GgufValue.Float64(Math.PI)),
            ("yes", GgufValue.Bool(true)), ("no", GgufValue.Bool(false)),
            ("empty", GgufValue.String("")), ("unicode", GgufValue.String("héllo ✓ 日本 \"q\"\n")),
            ("a.u8", GgufValue.ArrayOf(new byte[] { 0, 1, 255 })), ("a.i8", GgufValue.ArrayOf(new sbyte[] { -1, 127 })),
            ("a.u16", GgufValue.ArrayOf(new ushort[] { 1, 65535 })), ("a.i16", GgufValue.ArrayOf(new short[] { -2 })),
            ("a.u32", GgufValue.ArrayOf(new uint[] { 7, uint.MaxValue })), ("a.i32", GgufValue.ArrayOf(new[] { -7, 0, 7 })),
            ("a.u64", GgufValue.ArrayOf(new[] { ulong.MaxValue })), ("a.i64", GgufValue.ArrayOf(new[] { long.MinValue, 3L })),
            ("a.f32", GgufValue.ArrayOf(new[] { 0.5f, float.NegativeInfinity })), ("a.f64", GgufValue.ArrayOf(new[] { 1e300, -0.25 })),
            ("a.bool", GgufValue.ArrayOf(new[] { true, false, true })), ("a.str", GgufValue.ArrayOf(new[] { "a", "", "ü" })),
            ("a.empty", GgufValue.ArrayOf(Array.Empty<int>())),
            ("a.nested", GgufValue.ArrayOf(new[] {
                GgufValue.ArrayOf(new[] { 1, 2 }), GgufValue.ArrayOf(new[] { "x" }),
                GgufValue.ArrayOf(new[] { GgufValue.ArrayOf(new[] { 2.5 }) }) })),
        ];
        (string, long[], float[])[] tensors =
        [
            ("direction.1", [3], [1f, -2f, float.Epsilon]),
            ("matrix", [2, 3], [1, 2, 3, 4, 5, 6]),
            ("four.dims", [1, 2, 1, 2], [9, 8, 7, 6]),
            ("empty", [0], []),
            ("last", [5], [0.1f, 0.2f, 0.3f, 0.4f, float.NaN]),
        ];

        GgufWriter.Write(path, metadata, tensors);

        using var file = GgufFile.Open(path);
        file.Version.ShouldBe(3u);
        file.Metadata.ShouldBe(metadata.Select(m => (m.Item1, m.Item2)).ToList());
        file.Tensors.Select(t => t.Name).ShouldBe(tensors.Select(t => t.Item1));
        foreach (var (name, dims, data) in tensors)
        {
            var tensor = file.FindTensor(name)!;
            tensor.Dims.ShouldBe(dims);
            tensor.Type.ShouldBe(GgmlType.F32);
            (tensor.Offset % 32).ShouldBe(0);
            file.ReadFloats(tensor).Select(BitConverter.SingleToUInt32Bits).ShouldBe(data.Select(BitConverter.SingleToUInt32Bits), name);
        }
        // Every tensor's data is padded to the alignment, the last one included, as llama.cpp and gguf-py do.
        (new FileInfo(path).Length % 32).ShouldBe(0);
        File.Exists(path + ".tmp").ShouldBeFalse();
    }

    [Fact]
    public void Values_report_their_type_and_integers_of_any_width_read_as_long()
    {
        GgufValue.UInt8(200).TryGetInteger(out var u8).ShouldBeTrue();
        u8.ShouldBe(200);
        GgufValue.Int16(-5).TryGetInteger(out var i16).ShouldBeTrue();
        i16.ShouldBe(-5);
        GgufValue.UInt64(ulong.MaxValue).TryGetInteger(out _).ShouldBeFalse();
        GgufValue.Float32(1).TryGetInteger(out _).ShouldBeFalse();
        GgufValue.String("2").TryGetInteger(out _).ShouldBeFalse();
        GgufValue.Float32(1.5f).TryGetFloat(out var f).ShouldBeTrue();
        f.ShouldBe(1.5);
        GgufValue.Bool(true).TryGetBool(out var b).ShouldBeTrue();
        b.ShouldBeTrue();
        GgufValue.ArrayOf(new[] { "a", "b" }).TryGetArray<string>(out var strings).ShouldBeTrue();
        strings.ShouldBe(["a", "b"]);
        GgufValue.ArrayOf(new[] { 1 }).TryGetArray<uint>(out _).ShouldBeFalse();
        GgufValue.Int32(2).ToString().ShouldBe("int32 2");
        GgufValue.ArrayOf(new uint[] { 1, 2, 3 }).ToString().ShouldBe("array of uint32 [3 items]");
        GgufValue.Int32(2).ShouldNotBe(GgufValue.UInt32(2));
    }

    [Fact]
    public void Values_do_not_change_when_the_callers_array_does()
    {
        var items = new[] { 1, 2 };
        var value = GgufValue.ArrayOf(items);

        items[0] = 99;

        value.ShouldBe(GgufValue.ArrayOf(new[] { 1, 2 }));
    }

    [Fact]
    public void Half_and_bfloat16_tensors_widen_exactly_and_quantized_ones_are_refused_by_name()
    {
        using var dir = new TempDirectory();
        var path = dir.File("types.gguf");
        var bytes = new GgufBytes().Header(3, 0)
            .Tensor("half", [3], GgmlType.F16, 0)
            .Tensor("brain", [2], GgmlType.BF16, 32)
            .Tensor("q8", [32], GgmlType.Q8_0, 64)
            .PadTo(32);
        foreach (var h in new[] { (Half)1.5, (Half)(-2), Half.MaxValue }) bytes.Raw(BitConverter.GetBytes(BitConverter.HalfToUInt16Bits(h)));
        bytes.PadTo(32);
        foreach (var f in new[] { 3.25f, -0.5f }) bytes.Raw(BitConverter.GetBytes((ushort)(BitConverter.SingleToUInt32Bits(f) >> 16)));
        bytes.PadTo(32).Zeros(34);
        File.WriteAllBytes(path, bytes.ToArray());

        using var file = GgufFile.Open(path);

        file.ReadFloats("half").ShouldBe([1.5f, -2f, 65504f]);
        file.ReadFloats("brain").ShouldBe([3.25f, -0.5f]);
        file.FindTensor("q8")!.ByteLength.ShouldBe(34);
        var error = Should.Throw<SteerException>(() => file.ReadFloats("q8"));
        error.Message.ShouldContain("'q8'");
        error.Message.ShouldContain("Q8_0");
        Should.Throw<SteerException>(() => file.ReadFloats("missing")).Message.ShouldContain("no tensor 'missing'");
    }

    [Fact]
    public void A_file_without_tensors_or_metadata_reads()
    {
        using var dir = new TempDirectory();
        var path = dir.File("empty.gguf");
        File.WriteAllBytes(path, new GgufBytes().Header(0, 0, version: 2).ToArray());

        using var file = GgufFile.Open(path);

        file.Version.ShouldBe(2u);
        file.Metadata.ShouldBeEmpty();
        file.Tensors.ShouldBeEmpty();
    }

    [Fact]
    public void A_general_alignment_sets_the_layout_for_the_writer_and_the_reader()
    {
        using var dir = new TempDirectory();
        var path = dir.File("aligned.gguf");

        GgufWriter.Write(path, [("general.alignment", GgufValue.UInt32(64))], [("a", [3], [1, 2, 3]), ("b", [1], [4])]);

        using var file = GgufFile.Open(path);
        file.Alignment.ShouldBe(64);
        (file.DataStart % 64).ShouldBe(0);
        file.FindTensor("b")!.Offset.ShouldBe(64);
        file.ReadFloats("b").ShouldBe([4f]);
    }

    [Fact]
    public void A_missing_file_is_not_found()
    {
        using var dir = new TempDirectory();

        Should.Throw<SteerException>(() => GgufFile.Open(dir.File("nope.gguf"))).Kind.ShouldBe(ErrorKind.NotFound);
    }

    [Fact]
    public void The_writer_replaces_an_existing_file_and_leaves_no_temporary()
    {
        using var dir = new TempDirectory();
        var path = dir.File("v.gguf");
        File.WriteAllText(path, "old contents");

        GgufWriter.Write(path, [], [("direction.1", [2], [1, 2])]);

        GgufFile.Open(path).Dispose();
        File.Exists(path + ".tmp").ShouldBeFalse();
    }

    // GgufValue is internal, so the cases live here and the theory takes their index.
    private static readonly (string Detail, (string, GgufValue)[] Metadata, (string, long[], float[])[] Tensors)[] BadWrites =
    [
        ("repeated", [("k", GgufValue.Int32(1)), ("k", GgufValue.Int32(2))], []),
        ("empty or repeated", [("", GgufValue.Int32(1))], []),
        ("power of two", [("general.alignment", GgufValue.UInt32(48))], []),
        ("power of two", [("general.alignment", GgufValue.Int32(32))], []),
        ("repeated", [], [("t", [1], [1]), ("t", [1], [1])]),
        ("longer than 63", [], [(new string('n', 64), [1], [1])]),
        ("1 to 4", [], [("t", [], [])]),
        ("1 to 4", [], [("t", [1, 1, 1, 1, 1], [1])]),
        ("non-negative", [], [("t", [-1], [])]),
        ("but 2 values", [], [("t", [3], [1, 2])]),
        ("but 1 values", [], [("t", [long.MaxValue, long.MaxValue, 4], [1])]),
    ];

    [Theory]
    [InlineData(0), InlineData(1), InlineData(2), InlineData(3), InlineData(4), InlineData(5)]
    [InlineData(6), InlineData(7), InlineData(8), InlineData(9), InlineData(10)]
    public void The_writer_refuses_what_readers_would_refuse(int index)
    {
        var (detail, metadata, tensors) = BadWrites[index];
        using var dir = new TempDirectory();
        var path = dir.File("bad.gguf");

        Should.Throw<ArgumentException>(() => GgufWriter.Write(path, metadata, tensors)).Message.ShouldContain(detail);
        Directory.GetFiles(dir.Path).ShouldBeEmpty();
    }
}
