using static TorchSharp.torch;

namespace Steer.Models.Gpt2;

internal sealed class Gpt2Architecture : IArchitecture
{
    public ITransformer Create(string configPath, ScalarType dtype, Device device) =>
        new Gpt2Transformer(Gpt2Config.Load(configPath), dtype, device);
}
