using Steer.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Steer.Models;

/// <summary>A lookup table (token or position embeddings), allocated uninitialised for the loader to fill.</summary>
internal sealed class Embedding : nn.Module
{
    [ComponentName(Name = "weight")] private readonly Parameter _weight; // [rows, d_model]

    public Embedding(string name, long rows, long dim, ScalarType dtype, Device device) : base(name)
    {
        _weight = new Parameter(empty([rows, dim], dtype, device), requires_grad: false);
        RegisterComponents();
    }

    public Tensor Weight => _weight;

    /// <param name="ids">[batch, pos] int64</param>
    /// <returns>[batch, pos, d_model]</returns>
    public Tensor Lookup(Tensor ids)
    {
        using var profiled = OperationProfiler.Time(ProfiledOperation.Embedding);
        return _weight.index_select(0, ids.reshape(-1)).view(ids.size(0), ids.size(1), -1);
    }
}
