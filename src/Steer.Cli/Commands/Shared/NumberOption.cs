using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Numerics;
using System.Text.RegularExpressions;

namespace Steer.Cli.Commands.Shared;

/// <summary>
/// Numeric options parsed the same way everywhere: the invariant culture, no thousands separators (so "1,5" is never
/// read as 15), finite values only, and errors in words rather than .NET type names.
/// </summary>
internal static partial class NumberOption
{
    public static Option<double> Double(string name, string description, double defaultValue) =>
        Create(name, description, ParseDouble, () => defaultValue, hasDefault: true);

    public static Option<double?> OptionalDouble(string name, string description, double? defaultValue = null) =>
        Create<double?>(name, description, (text, option, result) => ParseDouble(text, option, result), () => defaultValue, defaultValue is not null);

    public static Option<int> Int(string name, string description, int defaultValue) =>
        Create(name, description, ParseWhole<int>, () => defaultValue, hasDefault: true);

    public static Option<int?> OptionalInt(string name, string description, int? defaultValue = null) =>
        Create<int?>(name, description, (text, option, result) => ParseWhole<int>(text, option, result), () => defaultValue, defaultValue is not null);

    public static Option<long?> OptionalLong(string name, string description, long? defaultValue = null) =>
        Create<long?>(name, description, (text, option, result) => ParseWhole<long>(text, option, result), () => defaultValue, defaultValue is not null);

    public static Option<ulong> ULong(string name, string description, ulong defaultValue) =>
        Create(name, description, ParseWhole<ulong>, () => defaultValue, hasDefault: true);

    private static Option<T> Create<T>(string name, string description, Func<string, string, ArgumentResult, T> parse, Func<T> defaultValue, bool hasDefault)
    {
        var option = new Option<T>(name) { Description = description };
        // Only a real default gets a factory: help then shows "[default: x]", and the description need not repeat it.
        if (hasDefault) option.DefaultValueFactory = _ => defaultValue();
        option.CustomParser = result => result.Tokens.Count == 0 ? defaultValue() : parse(result.Tokens[^1].Value, name, result);
        return option;
    }

    private static double ParseDouble(string text, string option, ArgumentResult result)
    {
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
        {
            if (double.IsFinite(value)) return value;
            result.AddError($"{option} needs a finite number, got '{text}'");
            return 0;
        }
        result.AddError(DecimalComma().IsMatch(text)
            ? $"{option} '{text}': use a dot for decimals ({text.Replace(',', '.')})"
            : $"{option} needs a number, got '{text}'");
        return 0;
    }

    private static T ParseWhole<T>(string text, string option, ArgumentResult result) where T : struct, IBinaryInteger<T>, IMinMaxValue<T>
    {
        if (T.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)) return value;
        // Digits that do not fit are a different mistake from letters: say the range.
        result.AddError(WholeDigits().IsMatch(text)
            ? string.Create(CultureInfo.InvariantCulture, $"{option} '{text}' is out of range ({T.MinValue} to {T.MaxValue})")
            : $"{option} needs a whole number, got '{text}'");
        return default;
    }

    [GeneratedRegex(@"^\s*[+-]?[0-9]*,[0-9]+\s*$")]
    private static partial Regex DecimalComma();

    [GeneratedRegex(@"^\s*[+-]?[0-9]+\s*$")]
    private static partial Regex WholeDigits();
}
