using Steer.Server.Completions;

namespace Steer.Server.Tests;

/// <summary>Stop strings end the text before them, across token boundaries, and a stream never releases text it must take back.</summary>
public sealed class StopMatcherTests
{
    [Fact]
    public void A_stop_string_inside_one_piece_cuts_the_text_before_it()
    {
        // Arrange
        var matcher = new StopMatcher(["o w"]);

        // Act
        var released = matcher.Push("hello world");

        // Assert
        released.ShouldBe("hell");
        matcher.Stopped.ShouldBeTrue();
        matcher.Text.ShouldBe("hell");
        matcher.Push("more").ShouldBe("");
    }

    [Fact]
    public void A_stop_string_split_across_pieces_is_held_back_until_it_completes()
    {
        // Arrange
        var matcher = new StopMatcher(["bcd"]);

        // Act
        var first = matcher.Push("ab");
        var second = matcher.Push("c");
        var third = matcher.Push("de");

        // Assert
        first.ShouldBe("a");
        second.ShouldBe("");
        third.ShouldBe("");
        matcher.Stopped.ShouldBeTrue();
        matcher.Text.ShouldBe("a");
    }

    [Fact]
    public void Held_back_text_is_released_once_it_cannot_start_a_stop_string_or_at_the_end()
    {
        // Arrange
        var matcher = new StopMatcher(["bc"]);

        // Act
        var first = matcher.Push("ab");
        var second = matcher.Push("bx");
        var third = matcher.Push("zb");
        var rest = matcher.Flush();

        // Assert
        (first + second + third + rest).ShouldBe("abbxzb");
        first.ShouldBe("a");
        second.ShouldBe("bbx");
        rest.ShouldBe("b");
        matcher.Stopped.ShouldBeFalse();
    }

    [Fact]
    public void The_earliest_of_several_stop_strings_wins_and_without_stops_text_passes_through()
    {
        // Arrange
        var several = new StopMatcher(["world", "lo"]);
        var none = new StopMatcher([]);

        // Act
        var released = several.Push("hello world");

        // Assert
        released.ShouldBe("hel");
        none.Push("hello").ShouldBe("hello");
        none.Flush().ShouldBe("");
    }
}
