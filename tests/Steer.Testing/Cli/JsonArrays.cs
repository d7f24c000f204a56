using System.Text.Json;

namespace Steer.Tests.Cli;

/// <summary>Reads JSON arrays of command output as .NET arrays.</summary>
internal static class JsonArrays
{
    public static int[] Ints(this JsonElement array) => array.EnumerateArray().Select(e => e.GetInt32()).ToArray();
    public static double[] Doubles(this JsonElement array) => array.EnumerateArray().Select(e => e.GetDouble()).ToArray();
    public static string[] Strings(this JsonElement array) => array.EnumerateArray().Select(e => e.GetString()!).ToArray();
}
