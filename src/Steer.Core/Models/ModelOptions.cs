using static TorchSharp.torch;

namespace Steer.Models;

/// <summary>How to load a model.</summary>
public sealed record ModelOptions
{
    /// <summary>
    /// float32, bfloat16, float16 or int8; null (the default) means the model's own default: float32, or bfloat16
    /// for a Llama-family checkpoint stored in bfloat16. int8 (also q8_0) holds every linear layer's weight as GGUF
    /// Q8_0 blocks (32 values, one scale), quantized while loading, and computes everything else in float32: the
    /// embeddings, norms and biases stay float32, and the logits go through a Q8_0 copy of the unembedding.
    /// </summary>
    public string? DType { get; init; }

    /// <summary>cpu (default) or cuda[:N].</summary>
    public string Device { get; init; } = "cpu";

    internal ScalarType ScalarTypeOr(string modelDefault) => ParseDType(DType ?? modelDefault);

    /// <summary>Whether linear weights are held as Q8_0 blocks (<c>int8</c>); the compute dtype is then float32.</summary>
    internal bool QuantizesToInt8 => DType is { } dtype && IsInt8(dtype);

    private static bool IsInt8(string dtype) => dtype.ToLowerInvariant() is "int8" or "q8_0" or "q8";

    private static ScalarType ParseDType(string dtype) => dtype.ToLowerInvariant() switch
    {
        "float32" or "fp32" or "f32" or "int8" or "q8_0" or "q8" => ScalarType.Float32,
        "bfloat16" or "bf16" => ScalarType.BFloat16,
        "float16" or "fp16" or "f16" or "half" => ScalarType.Float16,
        _ => throw new SteerException(ErrorKind.InvalidArgument, $"unknown dtype '{dtype}'; use float32, bfloat16, float16 or int8"),
    };

    internal Device TorchDevice
    {
        get
        {
            var name = Device.ToLowerInvariant();
            if (name == "cpu") return CPU;
            if (name == "cuda" || name.StartsWith("cuda:", StringComparison.Ordinal))
            {
                if (!cuda.is_available())
                    throw new SteerException(ErrorKind.Environment,
                        $"--device {Device}: CUDA is not available. This build references TorchSharp-cpu; build against a CUDA " +
                        "package of TorchSharp (e.g. TorchSharp-cuda-linux) on a machine with an NVIDIA GPU, or use --device cpu.");
                return device(name);
            }
            throw new SteerException(ErrorKind.InvalidArgument, $"unknown device '{Device}'; use cpu or cuda[:N]");
        }
    }
}
