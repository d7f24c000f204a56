using System.Text;
using Steer.IO.Gguf;

namespace Steer.Tests.IO;

/// <summary>
/// Malformed GGUF files, built byte by byte or by mutating valid ones: each must fail at open with an
/// InvalidModel <see cref="SteerException"/> naming the file and the problem, never with another exception
/// or a huge allocation.
/// </summary>
public class GgufValidationTests
{
    private const ulong Huge = 1UL << 62;

    private static string Fails(GgufBytes bytes) => GgufBytes.OpenFails(bytes.ToArray()).Message;

    /// <summary>A file with one key of the given type whose value the caller writes, and no tensors.</summary>
    private static GgufBytes OneKey(GgufValueType type, string key = "k") => new GgufBytes().Header(0, 1).Key(key, type);

    [Fact]
    public void The_builders_valid_file_is_valid()
    {
        using var dir = new TempDirectory();
        var path = dir.File("ok.gguf");
        File.WriteAllBytes(path, GgufBytes.Valid(tensors: 2).ToArray());

        using var file = GgufFile.Open(path);
        file.ReadFloats("direction.2").ShouldBe([10f, 11, 12, 13, 14, 15, 16, 17]);
    }

    [Theory]
    [InlineData(new byte[0], "only 0 bytes")]
    [InlineData(new byte[] { 0x47, 0x47, 0x55 }, "only 3 bytes")]
    [InlineData(new byte[] { 0x47, 0x47, 0x4D, 0x4C, 3, 0, 0, 0 }, "starts with bytes 47474D4C")]
    [InlineData(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0, 0, 0, 0 }, "not a GGUF file")]
    public void A_file_that_does_not_start_with_the_magic_is_not_a_GGUF_file(byte[] bytes, string detail)
    {
        GgufBytes.OpenFails(bytes).Message.ShouldContain(detail);
    }

    [Theory]
    [InlineData(1u, "version 1 is not supported")]
    [InlineData(4u, "version 4 is not supported")]
    [InlineData(0u, "version 0 is not supported")]
    [InlineData(0x03000000u, "big-endian")]
    public void Versions_other_than_2_and_3_are_refused(uint version, string detail)
    {
        Fails(new GgufBytes().Header(0, 0, version)).ShouldContain(detail);
    }

    [Fact]
    public void Every_prefix_of_a_real_file_fails_cleanly()
    {
        foreach (var name in new[] { "g2-mean.gguf", "random-l1.gguf" })
        {
            var bytes = File.ReadAllBytes(TestData.PathOf(Path.Combine("cvec", name)));
            using var dir = new TempDirectory();
            var path = dir.File(name);
            for (var length = 0; length < bytes.Length; length++)
            {
                File.WriteAllBytes(path, bytes[..length]);
                var error = Should.Throw<SteerException>(() => GgufBytes.OpenAndReadAll(path), $"{name}[..{length}]");
                error.Kind.ShouldBe(ErrorKind.InvalidModel);
                error.Message.ShouldContain(path);
                if (length >= 8) error.Message.ShouldContain("truncated", customMessage: $"{name}[..{length}]: {error.Message}");
            }
        }
    }

    [Fact]
    public void Absurd_key_and_tensor_counts_are_bounded_by_the_file_size()
    {
        Fails(new GgufBytes().Header(0, Huge)).ShouldContain($"number of metadata key/value pairs is {Huge}");
        Fails(new GgufBytes().Header(Huge, 0)).ShouldContain($"number of tensors is {Huge}");
        Fails(new GgufBytes().Header(0, ulong.MaxValue)).ShouldContain("can hold at most 0");
    }

    [Fact]
    public void Absurd_string_lengths_are_bounded_by_the_file_size()
    {
        Fails(new GgufBytes().Header(0, 1).U64(Huge).Zeros(16)).ShouldContain($"claims {Huge} bytes");
        Fails(OneKey(GgufValueType.String).U64(Huge)).ShouldContain("'k'");
        Fails(new GgufBytes().Header(1, 0).U64(ulong.MaxValue).Zeros(40)).ShouldContain("tensor info 0");
    }

    [Theory]
    [InlineData(0u)] // uint8
    [InlineData(12u)] // float64
    [InlineData(8u)] // string
    [InlineData(9u)] // array
    public void Absurd_array_lengths_are_bounded_by_the_file_size(uint elementType)
    {
        Fails(OneKey(GgufValueType.Array).U32(elementType).U64(Huge).Zeros(64)).ShouldContain($"is {Huge}, but");
    }

    [Fact]
    public void Unknown_value_types_are_refused()
    {
        Fails(OneKey((GgufValueType)13).U32(0)).ShouldContain("value type 13 is unknown");
        Fails(OneKey(GgufValueType.Array).U32(99).U64(0)).ShouldContain("element type 99 is unknown");
    }

    [Fact]
    public void A_bool_other_than_0_or_1_is_refused()
    {
        Fails(OneKey(GgufValueType.Bool).U8(2)).ShouldContain("a bool is 2");
        Fails(OneKey(GgufValueType.Array).U32((uint)GgufValueType.Bool).U64(2).U8(1).U8(7)).ShouldContain("a bool is 7");
    }

    [Fact]
    public void A_key_that_is_not_UTF8_is_refused()
    {
        Fails(new GgufBytes().Header(0, 1).StrBytes([0x6B, 0xFF]).U32((uint)GgufValueType.UInt8).U8(0)).ShouldContain("not valid UTF-8");
    }

    [Fact]
    public void Arrays_nested_too_deep_are_refused()
    {
        var bytes = OneKey(GgufValueType.Array);
        for (var i = 0; i < 100; i++) bytes.U32((uint)GgufValueType.Array).U64(1);
        bytes.U32((uint)GgufValueType.UInt8).U64(0);

        Fails(bytes).ShouldContain("nested more than 8 deep");
    }

    [Fact]
    public void A_repeated_key_is_refused()
    {
        var bytes = new GgufBytes().Header(0, 2)
            .Key("general.architecture", GgufValueType.UInt8).U8(1)
            .Key("general.architecture", GgufValueType.UInt8).U8(2);

        Fails(bytes).ShouldContain("'general.architecture': the key appears twice");
    }

    [Fact]
    public void A_repeated_tensor_name_is_refused()
    {
        var bytes = new GgufBytes().Header(2, 0)
            .Tensor("direction.1", [8], GgmlType.F32, 0).Tensor("direction.1", [8], GgmlType.F32, 32).PadTo(32).Zeros(64);

        Fails(bytes).ShouldContain("tensor 'direction.1': the tensor name appears twice");
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(5u)]
    [InlineData(uint.MaxValue)]
    public void Tensors_need_1_to_4_dimensions(uint nDims)
    {
        Fails(new GgufBytes().Header(1, 0).Str("t").U32(nDims).Zeros(64)).ShouldContain($"it has {nDims} dimensions");
    }

    [Fact]
    public void Dimensions_whose_product_overflows_are_refused()
    {
        Fails(new GgufBytes().Header(1, 0).Tensor("t", [1UL << 40, 1UL << 40], GgmlType.F32, 0).PadTo(32))
            .ShouldContain("more than 2^63 - 1 elements");
        Fails(new GgufBytes().Header(1, 0).Tensor("t", [1UL << 63], GgmlType.F32, 0).PadTo(32)).ShouldContain("beyond 2^63 - 1");
        Fails(new GgufBytes().Header(1, 0).Tensor("t", [1UL << 62], GgmlType.F32, 0).PadTo(32)).ShouldContain("more than 2^63 - 1 bytes");
    }

    [Theory]
    [InlineData(4u, "ggml type 4 is unknown")]
    [InlineData(1000u, "ggml type 1000 is unknown")]
    public void Unknown_tensor_types_are_refused(uint type, string detail)
    {
        Fails(new GgufBytes().Header(1, 0).Tensor("t", [8], (GgmlType)type, 0).PadTo(32).Zeros(32)).ShouldContain(detail);
    }

    [Fact]
    public void Quantized_rows_must_be_whole_blocks()
    {
        Fails(new GgufBytes().Header(1, 0).Tensor("t", [31], GgmlType.Q8_0, 0).PadTo(32).Zeros(64)).ShouldContain("whole number of Q8_0 blocks of 32");
    }

    [Fact]
    public void Offsets_must_be_aligned()
    {
        Fails(new GgufBytes().Header(1, 0).Tensor("t", [1], GgmlType.F32, 4).PadTo(32).Zeros(32)).ShouldContain("offset 4 is not a multiple of the alignment 32");
    }

    [Theory]
    [InlineData(32ul)]
    [InlineData(1ul << 62)]
    [InlineData(ulong.MaxValue - 31)]
    public void Offsets_past_the_end_of_the_file_are_refused(ulong offset)
    {
        Fails(new GgufBytes().Header(1, 0).Tensor("t", [8], GgmlType.F32, offset).PadTo(32).Zeros(32)).ShouldContain("'t'");
    }

    [Fact]
    public void Overlapping_tensors_are_refused()
    {
        var bytes = new GgufBytes().Header(2, 0)
            .Tensor("a", [16], GgmlType.F32, 0).Tensor("b", [8], GgmlType.F32, 32).PadTo(32).Zeros(64);

        Fails(bytes).ShouldContain("tensor 'b': its bytes [32, 64) overlap those of tensor 'a' [0, 64)");
    }

    [Fact]
    public void Tensors_listed_out_of_order_or_with_gaps_are_accepted()
    {
        using var dir = new TempDirectory();
        var path = dir.File("gaps.gguf");
        var bytes = new GgufBytes().Header(2, 0)
            .Tensor("second", [1], GgmlType.F32, 64).Tensor("first", [1], GgmlType.F32, 0).PadTo(32)
            .Floats(1).PadTo(32).Zeros(32).Floats(2);
        File.WriteAllBytes(path, bytes.ToArray());

        using var file = GgufFile.Open(path);
        file.ReadFloats("first").ShouldBe([1f]);
        file.ReadFloats("second").ShouldBe([2f]);
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(3u)]
    [InlineData(48u)]
    [InlineData(1u << 31)]
    public void The_alignment_must_be_a_power_of_two(uint alignment)
    {
        Fails(OneKey(GgufValueType.UInt32, "general.alignment").U32(alignment))
            .ShouldContain($"metadata key 'general.alignment': the alignment {alignment} is not a power of two");
    }

    [Fact]
    public void The_alignment_must_be_an_integer()
    {
        Fails(OneKey(GgufValueType.String, "general.alignment").Str("32")).ShouldContain("it is a string \"32\", not an integer");
    }

    [Fact]
    public void Random_corruption_only_ever_fails_cleanly()
    {
        // Mostly the header: flipping tensor data bytes only changes values, which is not an error.
        var valid = File.ReadAllBytes(TestData.PathOf(Path.Combine("cvec", "g2-mean.gguf")));
        var random = new Random(20261202);
        using var dir = new TempDirectory();
        var path = dir.File("fuzz.gguf");
        var (opened, refused) = (0, 0);
        for (var iteration = 0; iteration < 3000; iteration++)
        {
            var bytes = (byte[])valid.Clone();
            for (var flips = random.Next(1, 5); flips > 0; flips--)
            {
                var at = random.Next(8) == 0 ? random.Next(bytes.Length) : random.Next(256);
                bytes[at] = random.Next(3) == 0 ? (byte)(bytes[at] ^ (1 << random.Next(8))) : (byte)random.Next(256);
            }
            if (random.Next(10) == 0) bytes = bytes[..random.Next(bytes.Length)];
            File.WriteAllBytes(path, bytes);

            var before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                GgufBytes.OpenAndReadAll(path);
                opened++;
            }
            catch (SteerException e)
            {
                e.Kind.ShouldBe(ErrorKind.InvalidModel);
                e.Message.ShouldContain(path);
                refused++;
            }
            // A 1 KB file must never cost megabytes, whatever its counts and lengths claim.
            (GC.GetAllocatedBytesForCurrentThread() - before).ShouldBeLessThan(1 << 20, $"iteration {iteration}");
        }

        opened.ShouldBeGreaterThan(100);
        refused.ShouldBeGreaterThan(1000);
    }

    [Fact]
    public void Messages_say_where_the_problem_is()
    {
        var bytes = new GgufBytes().Header(1, 1).Key("general.architecture", GgufValueType.String).Str("controlvector")
            .Tensor("direction.1", [8], GgmlType.F32, 0).PadTo(32).Zeros(16);

        var message = Fails(bytes);

        message.ShouldContain("is not a valid GGUF file: tensor 'direction.1': the file is truncated");
        Encoding.UTF8.GetByteCount(message).ShouldBeLessThan(400);
    }
}
