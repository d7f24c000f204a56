using System.Text;
using Steer.IO;

namespace Steer.Tests.IO;

/// <summary>Malformed files built byte by byte: 8-byte little-endian header length, JSON header, data.</summary>
public class SafetensorsValidationTests
{
    private static byte[] Raw(string json, int dataBytes, ulong? headerLength = null)
    {
        var header = Encoding.UTF8.GetBytes(json);
        var bytes = new byte[8 + header.Length + dataBytes];
        BitConverter.GetBytes(headerLength ?? (ulong)header.Length).CopyTo(bytes, 0);
        header.CopyTo(bytes, 8);
        return bytes;
    }

    private static SteerException OpenFails(byte[] contents, out string path)
    {
        using var dir = new TempDirectory();
        path = dir.File("bad.safetensors");
        File.WriteAllBytes(path, contents);
        var open = path;
        var error = Should.Throw<SteerException>(() => SafetensorsFile.Open(open).Dispose());
        error.Kind.ShouldBe(ErrorKind.InvalidModel);
        error.Message.ShouldContain(path);
        return error;
    }

    [Theory]
    [InlineData(new byte[0], "0 bytes")]
    [InlineData(new byte[] { 1, 0, 0, 0, 0, 0, 0 }, "7 bytes")]
    public void A_file_shorter_than_the_length_prefix_is_refused(byte[] contents, string detail)
    {
        OpenFails(contents, out _).Message.ShouldContain(detail);
    }

    [Fact]
    public void An_absurd_header_length_is_refused()
    {
        OpenFails(Raw("{}", 0, headerLength: 200UL * 1024 * 1024), out _).Message.ShouldContain("absurd");
    }

    [Fact]
    public void A_header_length_beyond_the_end_of_the_file_is_refused()
    {
        OpenFails(Raw("{}", 0, headerLength: 1000), out _).Message.ShouldContain("beyond the end");
    }

    [Theory]
    [InlineData("{\"a\": ", "not valid JSON")]
    [InlineData("[1, 2]", "not an object")]
    [InlineData("{\"w\": 3}", "'w'")]
    [InlineData("{\"w\": {\"shape\": [1], \"data_offsets\": [0, 4]}}", "'w' has no dtype")]
    [InlineData("{\"w\": {\"dtype\": \"F32\", \"data_offsets\": [0, 4]}}", "'w' has no shape")]
    [InlineData("{\"w\": {\"dtype\": \"F32\", \"shape\": [1]}}", "'w' has no data_offsets")]
    [InlineData("{\"w\": {\"dtype\": \"F32\", \"shape\": [1.5], \"data_offsets\": [0, 4]}}", "'w' has a shape entry that is not an integer")]
    [InlineData("{\"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0]}}", "'w' has 1 data_offsets")]
    [InlineData("{\"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [4, 0]}}", "'w' has invalid data_offsets")]
    [InlineData("{\"__metadata__\": {\"n\": 1}}", "metadata value 'n'")]
    [InlineData("{\"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]}, \"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [4, 8]}}", "'w' twice")]
    public void A_header_that_is_not_the_expected_JSON_is_refused(string json, string detail)
    {
        OpenFails(Raw(json, 8), out _).Message.ShouldContain(detail);
    }

    [Theory]
    [InlineData("F8_E4M3")]
    [InlineData("U32")]
    [InlineData("f32")]
    [InlineData("3")]
    public void An_unsupported_dtype_is_refused_by_name(string dtype)
    {
        var error = OpenFails(Raw($"{{\"h.0.w\": {{\"dtype\": \"{dtype}\", \"shape\": [1], \"data_offsets\": [0, 1]}}}}", 1), out _);
        error.Message.ShouldContain($"'{dtype}'");
        error.Message.ShouldContain("h.0.w");
    }

    [Fact]
    public void A_negative_dimension_is_refused()
    {
        var error = OpenFails(Raw("{\"w\": {\"dtype\": \"F32\", \"shape\": [2, -1], \"data_offsets\": [0, 0]}}", 0), out _);
        error.Message.ShouldContain("'w' has negative dimension -1");
    }

    [Fact]
    public void Data_offsets_that_disagree_with_shape_and_dtype_are_refused()
    {
        var error = OpenFails(Raw("{\"wte\": {\"dtype\": \"F16\", \"shape\": [2, 3], \"data_offsets\": [0, 24]}}", 24), out _);
        error.Message.ShouldContain("'wte'");
        error.Message.ShouldContain("needs 12 bytes");
    }

    [Fact]
    public void A_truncated_file_is_refused_with_expected_and_actual_sizes()
    {
        const string json = "{\"a\": {\"dtype\": \"F32\", \"shape\": [4], \"data_offsets\": [0, 16]}, \"b\": {\"dtype\": \"F32\", \"shape\": [4], \"data_offsets\": [16, 32]}}";
        var contents = Raw(json, 20);
        var error = OpenFails(contents, out _);
        error.Message.ShouldContain("truncated");
        error.Message.ShouldContain("'b'");
        error.Message.ShouldContain($"at least {contents.Length + 12} bytes");
        error.Message.ShouldContain($"it is {contents.Length} bytes");
    }

    [Fact]
    public void Overlapping_tensors_are_refused_naming_both()
    {
        const string json = "{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}, \"b\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [4, 12]}}";
        var error = OpenFails(Raw(json, 12), out _);
        error.Message.ShouldContain("'b'");
        error.Message.ShouldContain("overlaps tensor 'a'");
    }

    [Theory]
    [InlineData("{\"a\": {\"dtype\": \"U8\", \"shape\": [2], \"data_offsets\": [0, 2]}, \"b\": {\"dtype\": \"U8\", \"shape\": [2], \"data_offsets\": [3, 5]}}", 5, "gap of 1 bytes before tensor 'b'")]
    [InlineData("{\"a\": {\"dtype\": \"U8\", \"shape\": [2], \"data_offsets\": [4, 6]}}", 6, "gap of 4 bytes before tensor 'a'")]
    [InlineData("{\"a\": {\"dtype\": \"U8\", \"shape\": [2], \"data_offsets\": [0, 2]}}", 10, "data section is 10 bytes but the tensors cover only 2")]
    [InlineData("{}", 3, "data section is 3 bytes but the tensors cover only 0")]
    public void A_header_that_does_not_describe_the_data_exactly_is_refused(string json, int dataBytes, string detail)
    {
        OpenFails(Raw(json, dataBytes), out _).Message.ShouldContain(detail);
    }

    [Fact]
    public void Space_padding_after_the_header_zero_sized_and_scalar_tensors_are_legal()
    {
        const string json = "{\"__metadata__\": {\"format\": \"pt\"}, \"empty\": {\"dtype\": \"F32\", \"shape\": [0, 5], \"data_offsets\": [0, 0]}, " +
            "\"scalar\": {\"dtype\": \"I32\", \"shape\": [], \"data_offsets\": [0, 4]}}      ";
        var contents = Raw(json, 4);
        BitConverter.GetBytes(-7).CopyTo(contents, contents.Length - 4);
        using var dir = new TempDirectory();
        var path = dir.File("ok.safetensors");
        File.WriteAllBytes(path, contents);

        using var file = SafetensorsFile.Open(path);
        file.Metadata["format"].ShouldBe("pt");
        file.Entries.Select(e => e.Name).ShouldBe(["empty", "scalar"]);
        using var scalar = file.Read(file.Find("scalar")!);
        scalar.item<int>().ShouldBe(-7);
        file.Find("missing").ShouldBeNull();
    }
}
