using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Steer.Runtime.Kernels;

/// <summary>Which instruction set a kernel runs with. Tests force each one; production takes <see cref="SimdLevels.Best"/>.</summary>
internal enum SimdLevel
{
    Scalar,
    /// <summary>AVX2 + FMA, 8 floats per vector.</summary>
    Vector256,
    /// <summary>AVX-512F, 16 floats per vector.</summary>
    Vector512,
}

internal static class SimdLevels
{
    public static SimdLevel Best { get; } =
        Avx512F.IsSupported && Vector512.IsHardwareAccelerated ? SimdLevel.Vector512
        : Avx2.IsSupported && Fma.IsSupported ? SimdLevel.Vector256
        : SimdLevel.Scalar;

    public static bool IsSupported(SimdLevel level) => level <= Best;
}

/// <summary>
/// The few vector operations the kernels need, as static abstract members so that one generic kernel body
/// is compiled once per vector type (the JIT specialises generics over structs, so there is no dispatch cost).
/// Weights are float32 or bfloat16 (raw ushort); a bfloat16 is the top half of a float32, so widening it to
/// 32 bits and shifting left by 16 is an exact conversion.
/// </summary>
internal unsafe interface ISimdOps<TVec> where TVec : unmanaged
{
    static abstract int Width { get; }
    static abstract TVec Zero { get; }
    static abstract TVec Load(float* p);
    static abstract TVec LoadBFloat16(ushort* p);
    static abstract void Store(float* p, TVec value);
    static abstract TVec Broadcast(float value);
    /// <returns>a * b + addend</returns>
    static abstract TVec MultiplyAdd(TVec a, TVec b, TVec addend);
    static abstract TVec Multiply(TVec a, TVec b);
    static abstract TVec Add(TVec a, TVec b);
    static abstract float Sum(TVec value);
    /// <summary>A hint to bring the cache line at <paramref name="p"/> into L2; never faults, whatever the address.</summary>
    static abstract void Prefetch(void* p);
}

internal static unsafe class Weights
{
    /// <summary>One vector of weights as float32, whether they are stored as float32 or bfloat16.</summary>
    /// <remarks>The <c>typeof</c> test is a JIT-time constant for a value-type <typeparamref name="TW"/>.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec Load<TOps, TVec, TW>(TW* p)
        where TOps : ISimdOps<TVec> where TVec : unmanaged where TW : unmanaged =>
        typeof(TW) == typeof(float) ? TOps.Load((float*)p) : TOps.LoadBFloat16((ushort*)p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Scalar<TW>(TW* p) where TW : unmanaged =>
        typeof(TW) == typeof(float) ? *(float*)p : BFloat16Conversion.ToSingle(*(ushort*)p);
}

internal readonly unsafe struct Avx512Ops : ISimdOps<Vector512<float>>
{
    public static int Width => Vector512<float>.Count;
    public static Vector512<float> Zero => Vector512<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load(float* p) => Vector512.Load(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> LoadBFloat16(ushort* p) =>
        Avx512F.ShiftLeftLogical(Avx512F.ConvertToVector512UInt32(Vector256.Load(p)), 16).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(float* p, Vector512<float> value) => value.Store(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Broadcast(float value) => Vector512.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> MultiplyAdd(Vector512<float> a, Vector512<float> b, Vector512<float> addend) =>
        Avx512F.FusedMultiplyAdd(a, b, addend);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Multiply(Vector512<float> a, Vector512<float> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector512<float> value) => Vector512.Sum(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Prefetch(void* p) => Sse.Prefetch1(p);
}

internal readonly unsafe struct Avx2Ops : ISimdOps<Vector256<float>>
{
    public static int Width => Vector256<float>.Count;
    public static Vector256<float> Zero => Vector256<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load(float* p) => Vector256.Load(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> LoadBFloat16(ushort* p) =>
        Avx2.ShiftLeftLogical(Avx2.ConvertToVector256Int32(p), 16).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(float* p, Vector256<float> value) => value.Store(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Broadcast(float value) => Vector256.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> addend) =>
        Fma.MultiplyAdd(a, b, addend);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Multiply(Vector256<float> a, Vector256<float> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector256<float> value) => Vector256.Sum(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Prefetch(void* p) => Sse.Prefetch1(p);
}

/// <summary>One float per "vector": the portable fallback, and the reference the vector paths are tested against.</summary>
internal readonly unsafe struct ScalarOps : ISimdOps<float>
{
    public static int Width => 1;
    public static float Zero => 0f;
    public static float Load(float* p) => *p;
    public static float LoadBFloat16(ushort* p) => BFloat16Conversion.ToSingle(*p);
    public static void Store(float* p, float value) => *p = value;
    public static float Broadcast(float value) => value;
    public static float MultiplyAdd(float a, float b, float addend) => MathF.FusedMultiplyAdd(a, b, addend);
    public static float Multiply(float a, float b) => a * b;
    public static float Add(float a, float b) => a + b;
    public static float Sum(float value) => value;
    public static void Prefetch(void* p) { }
}
