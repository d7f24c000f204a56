namespace Steer.Models;

/// <summary>
/// An architecture's parsed <c>config.json</c>. Each architecture has its own config type; code outside the
/// architecture's folder sees only this.
/// </summary>
public interface IModelConfig
{
    /// <summary>config.json's <c>model_type</c>, which picks the architecture in the registry.</summary>
    string ModelType { get; }

    ModelShape Shape { get; }

    /// <summary>This config, or a <see cref="SteerException"/> (InvalidModel) naming the unusable field.</summary>
    IModelConfig Validate();

    /// <summary>
    /// A copy with the given numbers replaced (null keeps the current one), not yet validated: what
    /// <c>steer debug make-model</c>'s --layers, --d-model, --heads and --context do to a named shape.
    /// </summary>
    IModelConfig Reshape(int? layers = null, int? modelDim = null, int? heads = null, int? contextLength = null);
}
