namespace Steer.Tests;

/// <summary>Tests that read or change process environment variables; they never run alongside other tests.</summary>
[CollectionDefinition("Environment", DisableParallelization = true)]
public sealed class EnvironmentCollection;
