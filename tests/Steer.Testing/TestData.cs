using System.Text.Json;

namespace Steer.Tests;

/// <summary>Reference data copied into the project (see TestData/README.md for its provenance).</summary>
internal static class TestData
{
    public static string PathOf(string fileName) => Path.Combine(AppContext.BaseDirectory, "TestData", fileName);

    public static JsonDocument Json(string fileName) => JsonDocument.Parse(File.ReadAllText(PathOf(fileName)));
}
