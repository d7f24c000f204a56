using System.Collections;
using System.Collections.ObjectModel;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Steer.IO.Gguf;

/// <summary>
/// One GGUF metadata value: a scalar, a string, or an array of one element type (arrays may nest; each inner
/// array has its own element type, as on disk). Immutable. The exact type is kept, because readers of GGUF
/// files disagree on it (llama.cpp writes <c>controlvector.layer_count</c> as int32, gguf-py as uint32) and a
/// writer must reproduce it; <see cref="TryGetInteger"/> is how callers accept any integer type.
/// Arrays of numbers are held as one primitive array, not one object per element, so a file's metadata
/// costs about as much memory as its size on disk.
/// </summary>
internal sealed class GgufValue : IEquatable<GgufValue>
{
    // A boxed scalar of the CLR type matching Type, a string, or (for arrays) a T[] matching ElementType,
    // with GgufValue[] for arrays of arrays. Never exposed mutably: arrays go out read-only.
    private readonly object _value;

    private GgufValue(GgufValueType type, object value, GgufValueType elementType = default)
    {
        Type = type;
        ElementType = elementType;
        _value = value;
    }

    public GgufValueType Type { get; }

    /// <summary>The element type when <see cref="Type"/> is Array; meaningless otherwise.</summary>
    public GgufValueType ElementType { get; }

    /// <summary>The number of elements of an array; 0 for anything else.</summary>
    public int ArrayLength => Type == GgufValueType.Array ? ((Array)_value).Length : 0;

    public static GgufValue UInt8(byte value) => new(GgufValueType.UInt8, value);
    public static GgufValue Int8(sbyte value) => new(GgufValueType.Int8, value);
    public static GgufValue UInt16(ushort value) => new(GgufValueType.UInt16, value);
    public static GgufValue Int16(short value) => new(GgufValueType.Int16, value);
    public static GgufValue UInt32(uint value) => new(GgufValueType.UInt32, value);
    public static GgufValue Int32(int value) => new(GgufValueType.Int32, value);
    public static GgufValue UInt64(ulong value) => new(GgufValueType.UInt64, value);
    public static GgufValue Int64(long value) => new(GgufValueType.Int64, value);
    public static GgufValue Float32(float value) => new(GgufValueType.Float32, value);
    public static GgufValue Float64(double value) => new(GgufValueType.Float64, value);
    public static GgufValue Bool(bool value) => new(GgufValueType.Bool, value);

    public static GgufValue String(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new(GgufValueType.String, value);
    }

    // Each overload copies its argument, so the value stays immutable whatever the caller does with the array.
    public static GgufValue ArrayOf(byte[] items) => Copy(GgufValueType.UInt8, items);
    public static GgufValue ArrayOf(sbyte[] items) => Copy(GgufValueType.Int8, items);
    public static GgufValue ArrayOf(ushort[] items) => Copy(GgufValueType.UInt16, items);
    public static GgufValue ArrayOf(short[] items) => Copy(GgufValueType.Int16, items);
    public static GgufValue ArrayOf(uint[] items) => Copy(GgufValueType.UInt32, items);
    public static GgufValue ArrayOf(int[] items) => Copy(GgufValueType.Int32, items);
    public static GgufValue ArrayOf(ulong[] items) => Copy(GgufValueType.UInt64, items);
    public static GgufValue ArrayOf(long[] items) => Copy(GgufValueType.Int64, items);
    public static GgufValue ArrayOf(float[] items) => Copy(GgufValueType.Float32, items);
    public static GgufValue ArrayOf(double[] items) => Copy(GgufValueType.Float64, items);
    public static GgufValue ArrayOf(bool[] items) => Copy(GgufValueType.Bool, items);

    public static GgufValue ArrayOf(string[] items)
    {
        ArgumentNullException.ThrowIfNull(items);
        if (items.Any(s => s is null)) throw new ArgumentException("A GGUF string array cannot hold null.", nameof(items));
        return Copy(GgufValueType.String, items);
    }

    /// <summary>An array of arrays; every item must itself be an array (their element types may differ).</summary>
    public static GgufValue ArrayOf(GgufValue[] arrays)
    {
        ArgumentNullException.ThrowIfNull(arrays);
        if (arrays.Any(a => a is null || a.Type != GgufValueType.Array))
            throw new ArgumentException("Every item of a GGUF array of arrays must be an array.", nameof(arrays));
        return Copy(GgufValueType.Array, arrays);
    }

    private static GgufValue Copy<T>(GgufValueType elementType, T[] items)
    {
        ArgumentNullException.ThrowIfNull(items);
        return new(GgufValueType.Array, items.ToArray(), elementType);
    }

    /// <summary>For the reader, which hands over arrays it allocated itself and never touches again.</summary>
    internal static GgufValue WrapArray(GgufValueType elementType, Array items) => new(GgufValueType.Array, items, elementType);

    /// <summary>The raw payload for the writer: a boxed scalar, a string, or the array of an Array.</summary>
    internal object Payload => _value;

    /// <summary>Any of the eight integer types; false for a uint64 above <see cref="long.MaxValue"/> and for non-integers.</summary>
    public bool TryGetInteger(out long value)
    {
        switch (_value)
        {
            case byte v: value = v; return true;
            case sbyte v: value = v; return true;
            case ushort v: value = v; return true;
            case short v: value = v; return true;
            case uint v: value = v; return true;
            case int v: value = v; return true;
            case ulong v when v <= long.MaxValue: value = (long)v; return true;
            case long v: value = v; return true;
            default: value = 0; return false;
        }
    }

    /// <summary>float32 or float64, widened to double.</summary>
    public bool TryGetFloat(out double value)
    {
        switch (_value)
        {
            case float v: value = v; return true;
            case double v: value = v; return true;
            default: value = 0; return false;
        }
    }

    public bool TryGetBool(out bool value)
    {
        var ok = Type == GgufValueType.Bool;
        value = ok && (bool)_value;
        return ok;
    }

    public bool TryGetString([NotNullWhen(true)] out string? value)
    {
        value = Type == GgufValueType.String ? (string)_value : null;
        return value is not null;
    }

    /// <summary>
    /// The items of an array whose CLR element type is <typeparamref name="T"/> (byte for uint8, sbyte for int8, ...,
    /// bool, string, and <see cref="GgufValue"/> for arrays of arrays); false for anything else.
    /// </summary>
    public bool TryGetArray<T>([NotNullWhen(true)] out IReadOnlyList<T>? items)
    {
        // An exact type test: the CLR lets 'is uint[]' match an int[] (and sbyte[]/byte[] alike).
        items = Type == GgufValueType.Array && _value.GetType() == typeof(T[]) ? Array.AsReadOnly((T[])_value) : null;
        return items is not null;
    }

    public bool Equals(GgufValue? other) =>
        other is not null && Type == other.Type && ElementType == other.ElementType &&
        (Type == GgufValueType.Array
            ? StructuralComparisons.StructuralEqualityComparer.Equals(_value, other._value)
            : _value.Equals(other._value));

    public override bool Equals(object? obj) => Equals(obj as GgufValue);

    public override int GetHashCode() =>
        HashCode.Combine(Type, ElementType, Type == GgufValueType.Array ? ArrayLength : _value.GetHashCode());

    /// <summary>Type and value, for messages: <c>int32 2</c>, <c>string "gpt2"</c>, <c>array of uint32 [3 items]</c>.</summary>
    public override string ToString() => Type switch
    {
        GgufValueType.Array => $"array of {GgufTypes.Name(ElementType)} [{ArrayLength} items]",
        GgufValueType.String => $"string \"{_value}\"",
        GgufValueType.Bool => $"bool {((bool)_value ? "true" : "false")}",
        _ => $"{GgufTypes.Name(Type)} {Convert.ToString(_value, CultureInfo.InvariantCulture)}",
    };
}

/// <summary>Lookups over an ordered GGUF metadata list (keys are unique: the reader and writer both enforce it).</summary>
internal static class GgufMetadata
{
    public static GgufValue? Find(this IReadOnlyList<(string Key, GgufValue Value)> metadata, string key)
    {
        foreach (var (k, v) in metadata)
        {
            if (string.Equals(k, key, StringComparison.Ordinal)) return v;
        }
        return null;
    }

    public static bool TryGetString(this IReadOnlyList<(string Key, GgufValue Value)> metadata, string key,
        [NotNullWhen(true)] out string? value)
    {
        value = null;
        return metadata.Find(key)?.TryGetString(out value) == true;
    }

    public static bool TryGetInteger(this IReadOnlyList<(string Key, GgufValue Value)> metadata, string key, out long value)
    {
        value = 0;
        return metadata.Find(key)?.TryGetInteger(out value) == true;
    }
}
