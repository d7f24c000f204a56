namespace Steer.Steering;

/// <summary>
/// What is added at one hook point: <c>[positions, d_model]</c> values, row-major, and the positions of a pass they
/// reach (<see cref="Mode"/>): ActAdd's rows at the front of the prompt, or one row at every position.
/// </summary>
public sealed record SteeringComponent(string HookPoint, int Positions, int ModelDim, float[] Values)
{
    /// <summary>Front for ActAdd's rows; the other modes take a one-row vector.</summary>
    public PositionMode Mode { get; init; } = PositionMode.Front;

    /// <summary>A one-row component reaching <paramref name="mode"/>'s positions, e.g. a CAA vector at every position.</summary>
    public static SteeringComponent Row(string hookPoint, float[] values, PositionMode mode = PositionMode.All) =>
        new(hookPoint, 1, values.Length, values) { Mode = mode };

    /// <summary>The L2 norm of all values.</summary>
    public double Norm() => Math.Sqrt(Values.Sum(v => (double)v * v));

    /// <summary>The L2 norm of each position's vector.</summary>
    public double[] PositionNorms() => Enumerable.Range(0, Positions)
        .Select(p => Math.Sqrt(Values.AsSpan(p * ModelDim, ModelDim).ToArray().Sum(v => (double)v * v)))
        .ToArray();

    public ReadOnlySpan<float> Row(int position) => Values.AsSpan(position * ModelDim, ModelDim);
}

/// <summary>
/// A steering vector as a value: for each hook point, the <c>[positions, d_model]</c> activations to add at
/// the front positions of a prompt. Vectors add, subtract, scale and negate; components at the same hook
/// point sum after right-padding the shorter with zeros, which equals adding them separately at the front.
/// </summary>
public sealed class SteeringVector
{
    private readonly SteeringComponent[] _components;

    public SteeringVector(IEnumerable<SteeringComponent> components, SteeringMetadata? metadata = null)
    {
        var merged = new List<SteeringComponent>();
        foreach (var component in components)
        {
            if (component.Values.Length != component.Positions * component.ModelDim)
                throw new ArgumentException($"component at {component.HookPoint} has {component.Values.Length} values, not {component.Positions}x{component.ModelDim}");
            if (component.Mode != PositionMode.Front && component.Positions != 1)
                throw new ArgumentException($"component at {component.HookPoint} reaches {component.Mode} positions, which takes one row, not {component.Positions}");
            var index = merged.FindIndex(c => c.HookPoint == component.HookPoint && c.Mode == component.Mode);
            if (index < 0) merged.Add(component);
            else merged[index] = Add(merged[index], component);
        }
        _components = [.. merged];
        Metadata = metadata ?? new SteeringMetadata();
    }

    public IReadOnlyList<SteeringComponent> Components => _components;

    public SteeringMetadata Metadata { get; }

    /// <summary>The most positions any front component spans: the shortest prompt it fits at the front of (1 for per-position vectors).</summary>
    public int Positions => _components.Length == 0 ? 0 : _components.Max(c => c.Mode == PositionMode.Front ? c.Positions : 1);

    /// <summary>The same values reaching <paramref name="mode"/>'s positions; every component must be one row unless the mode is Front.</summary>
    public SteeringVector WithMode(PositionMode mode)
    {
        if (mode != PositionMode.Front && _components.FirstOrDefault(c => c.Positions != 1) is { } rows)
            throw new SteerException(ErrorKind.InvalidArgument,
                $"positions '{mode.ToString().ToLowerInvariant()}' adds one row at every position, but the vector at {rows.HookPoint} has " +
                $"{rows.Positions} rows (an ActAdd vector, which goes at the front)");
        return new(_components.Select(c => c with { Mode = mode }), Metadata);
    }

    public SteeringComponent? this[string hookPoint] => _components.FirstOrDefault(c => c.HookPoint == hookPoint);

    public SteeringVector WithMetadata(SteeringMetadata metadata) => new(_components, metadata);

    public static SteeringVector operator +(SteeringVector a, SteeringVector b) =>
        new(a._components.Concat(b._components), a.Metadata.Combine(b.Metadata));

    public static SteeringVector operator -(SteeringVector a, SteeringVector b) => a + -b;

    public static SteeringVector operator -(SteeringVector a) => a * -1.0;

    public static SteeringVector operator *(SteeringVector a, double factor)
    {
        if (!double.IsFinite(factor))
            throw new SteerException(ErrorKind.InvalidArgument, $"a steering vector can only be scaled by a finite number, got {factor}");
        return new(a._components.Select(c => c with { Values = c.Values.Select(v => (float)(v * factor)).ToArray() }),
            a.Metadata.Scale(factor));
    }

    public static SteeringVector operator *(double factor, SteeringVector a) => a * factor;

    public static SteeringVector operator /(SteeringVector a, double divisor) =>
        divisor == 0 ? throw new SteerException(ErrorKind.InvalidArgument, "cannot divide a steering vector by zero") : a * (1.0 / divisor);

    /// <summary>
    /// Same hook points and, after zero-padding to equal lengths, no element differs by more than
    /// <paramref name="tolerance"/> times the larger of the two vectors' largest position norms.
    /// </summary>
    public bool ApproximatelyEquals(SteeringVector other, double tolerance = 1e-6)
    {
        var keys = _components.Select(c => (c.HookPoint, c.Mode)).Union(other._components.Select(c => (c.HookPoint, c.Mode)));
        foreach (var (hook, mode) in keys)
        {
            var a = _components.FirstOrDefault(c => c.HookPoint == hook && c.Mode == mode);
            var b = other._components.FirstOrDefault(c => c.HookPoint == hook && c.Mode == mode);
            var dim = a?.ModelDim ?? b!.ModelDim;
            if (a is not null && b is not null && a.ModelDim != b.ModelDim) return false;
            var positions = Math.Max(a?.Positions ?? 0, b?.Positions ?? 0);
            var scale = Math.Max(a?.PositionNorms().DefaultIfEmpty().Max() ?? 0, b?.PositionNorms().DefaultIfEmpty().Max() ?? 0);
            for (var i = 0; i < positions * dim; i++)
            {
                var x = a is not null && i < a.Values.Length ? a.Values[i] : 0f;
                var y = b is not null && i < b.Values.Length ? b.Values[i] : 0f;
                if (Math.Abs(x - y) > tolerance * Math.Max(scale, 1e-30)) return false;
            }
        }
        return true;
    }

    private static SteeringComponent Add(SteeringComponent a, SteeringComponent b)
    {
        if (a.ModelDim != b.ModelDim)
            throw new SteerException(ErrorKind.InvalidArgument,
                $"cannot add steering vectors of width {a.ModelDim} and {b.ModelDim} at {a.HookPoint}");
        var positions = Math.Max(a.Positions, b.Positions);
        var values = new float[positions * a.ModelDim];
        for (var i = 0; i < a.Values.Length; i++) values[i] += a.Values[i];
        for (var i = 0; i < b.Values.Length; i++) values[i] += b.Values[i];
        return new SteeringComponent(a.HookPoint, positions, a.ModelDim, values) { Mode = a.Mode };
    }
}
