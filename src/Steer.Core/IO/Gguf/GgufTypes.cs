namespace Steer.IO.Gguf;

/// <summary>The type tag of a GGUF metadata value (gguf_type); the numbers are the on-disk codes.</summary>
internal enum GgufValueType : uint
{
    UInt8 = 0,
    Int8 = 1,
    UInt16 = 2,
    Int16 = 3,
    UInt32 = 4,
    Int32 = 5,
    Float32 = 6,
    Bool = 7,
    String = 8,
    Array = 9,
    UInt64 = 10,
    Int64 = 11,
    Float64 = 12,
}

/// <summary>
/// The element type of a GGUF tensor (ggml_type); the numbers are the on-disk codes. Codes 4, 5 and 31-33, 36-38
/// belong to layouts ggml has removed, and files using them are refused like any unknown code.
/// </summary>
internal enum GgmlType : uint
{
    F32 = 0,
    F16 = 1,
    Q4_0 = 2,
    Q4_1 = 3,
    Q5_0 = 6,
    Q5_1 = 7,
    Q8_0 = 8,
    Q8_1 = 9,
    Q2_K = 10,
    Q3_K = 11,
    Q4_K = 12,
    Q5_K = 13,
    Q6_K = 14,
    Q8_K = 15,
    IQ2_XXS = 16,
    IQ2_XS = 17,
    IQ3_XXS = 18,
    IQ1_S = 19,
    IQ4_NL = 20,
    IQ3_S = 21,
    IQ2_S = 22,
    IQ4_XS = 23,
    I8 = 24,
    I16 = 25,
    I32 = 26,
    I64 = 27,
    F64 = 28,
    IQ1_M = 29,
    BF16 = 30,
    TQ1_0 = 34,
    TQ2_0 = 35,
    MXFP4 = 39,
}

internal static class GgufTypes
{
    /// <summary>Bytes one scalar of a fixed-size value type occupies; null for strings and arrays.</summary>
    public static int? FixedSize(GgufValueType type) => type switch
    {
        GgufValueType.UInt8 or GgufValueType.Int8 or GgufValueType.Bool => 1,
        GgufValueType.UInt16 or GgufValueType.Int16 => 2,
        GgufValueType.UInt32 or GgufValueType.Int32 or GgufValueType.Float32 => 4,
        GgufValueType.UInt64 or GgufValueType.Int64 or GgufValueType.Float64 => 8,
        _ => null,
    };

    /// <summary>
    /// The fewest bytes a value of this type can occupy on disk: a string is at least its 8-byte length,
    /// an array at least its 4-byte element type and 8-byte length. Counts read from a file are bounded
    /// with this before anything is allocated for them.
    /// </summary>
    public static int MinimumSize(GgufValueType type) => FixedSize(type) ?? (type == GgufValueType.String ? 8 : 12);

    public static bool IsKnown(GgufValueType type) => type <= GgufValueType.Float64;

    public static string Name(GgufValueType type) =>
        IsKnown(type) ? type.ToString().ToLowerInvariant() : $"unknown value type {(uint)type}";

    /// <summary>
    /// ggml stores quantized types in blocks: <c>BlockSize</c> elements take <c>BlockBytes</c> bytes, and a row
    /// (the first dimension) must be a whole number of blocks. Sizes are those of ggml-common.h.
    /// </summary>
    public static (int BlockSize, int BlockBytes)? Layout(GgmlType type) => type switch
    {
        GgmlType.F32 or GgmlType.I32 => (1, 4),
        GgmlType.F16 or GgmlType.BF16 or GgmlType.I16 => (1, 2),
        GgmlType.I8 => (1, 1),
        GgmlType.I64 or GgmlType.F64 => (1, 8),
        GgmlType.Q4_0 or GgmlType.IQ4_NL => (32, 18),
        GgmlType.Q4_1 => (32, 20),
        GgmlType.Q5_0 => (32, 22),
        GgmlType.Q5_1 => (32, 24),
        GgmlType.Q8_0 => (32, 34),
        GgmlType.Q8_1 => (32, 36),
        GgmlType.MXFP4 => (32, 17),
        GgmlType.Q2_K => (256, 84),
        GgmlType.Q3_K or GgmlType.IQ3_S => (256, 110),
        GgmlType.Q4_K => (256, 144),
        GgmlType.Q5_K => (256, 176),
        GgmlType.Q6_K => (256, 210),
        GgmlType.Q8_K => (256, 292),
        GgmlType.IQ2_XXS or GgmlType.TQ2_0 => (256, 66),
        GgmlType.IQ2_XS => (256, 74),
        GgmlType.IQ3_XXS => (256, 98),
        GgmlType.IQ1_S => (256, 50),
        GgmlType.IQ2_S => (256, 82),
        GgmlType.IQ4_XS => (256, 136),
        GgmlType.IQ1_M => (256, 56),
        GgmlType.TQ1_0 => (256, 54),
        _ => null,
    };

    public static string Name(GgmlType type) => Layout(type) is null ? $"unknown ggml type {(uint)type}" : type.ToString();
}
