using System.Numerics;
using System.Runtime.CompilerServices;

namespace Steer.Runtime.Kernels;

/// <summary>bfloat16 ↔ float32 conversions of short vectors (activations), bit-identical to libtorch's except for NaN's payload.</summary>
internal static unsafe class BFloat16Conversion
{
    /// <summary>Exact: a bfloat16 is the top half of a float32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToSingle(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);

    /// <summary><see cref="ToSingle"/> over a vector of values.</summary>
    public static void Widen(ushort* source, float* destination, int count)
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated)
            for (; i <= count - Vector<ushort>.Count; i += Vector<ushort>.Count)
            {
                Vector.Widen(Vector.Load(source + i), out var low, out var high);
                Vector.AsVectorSingle(low << 16).Store(destination + i);
                Vector.AsVectorSingle(high << 16).Store(destination + i + Vector<uint>.Count);
            }
        for (; i < count; i++)
            destination[i] = ToSingle(source[i]);
    }

    /// <summary>Round to nearest, ties to even; NaN stays a (quiet) NaN. This is c10::BFloat16's conversion.</summary>
    public static void Round(float* source, ushort* destination, int count)
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var bias = new Vector<uint>(0x7FFF);
            var one = Vector<uint>.One;
            var quietNaN = new Vector<uint>(0x7FC0);
            for (; i <= count - 2 * Vector<float>.Count; i += 2 * Vector<float>.Count)
                Vector.Narrow(Round(Vector.Load(source + i), bias, one, quietNaN),
                              Round(Vector.Load(source + i + Vector<float>.Count), bias, one, quietNaN)).Store(destination + i);
        }
        for (; i < count; i++)
            destination[i] = ToBFloat16(source[i]);
    }

    /// <summary>Round to nearest, ties to even, of one value (quiet NaN for NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort ToBFloat16(float value)
    {
        var bits = BitConverter.SingleToUInt32Bits(value);
        return float.IsNaN(value) ? (ushort)0x7FC0 : (ushort)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
    }

    /// <summary>A float32 value rounded to bfloat16 and back: what a bfloat16 tensor op stores.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float RoundTrip(float value) => ToSingle(ToBFloat16(value));

    private static Vector<uint> Round(Vector<float> values, Vector<uint> bias, Vector<uint> one, Vector<uint> quietNaN)
    {
        var bits = Vector.AsVectorUInt32(values);
        var rounded = (bits + bias + ((bits >> 16) & one)) >> 16;
        return Vector.ConditionalSelect(Vector.AsVectorUInt32(Vector.Equals(values, values)), rounded, quietNaN);
    }
}
