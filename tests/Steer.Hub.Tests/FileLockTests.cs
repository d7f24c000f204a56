using Steer.Hub;
using Steer.Tests.IO;

namespace Steer.Tests.Hub;

public sealed class FileLockTests
{
    [Fact]
    public async Task A_held_lock_makes_a_second_taker_wait_until_it_is_released()
    {
        // Arrange
        using var directory = new TempDirectory();
        var path = directory.File(Path.Combine(".locks", "models--org--name", "etag.lock"));
        var first = await FileLock.AcquireAsync(path, null, null, CancellationToken.None);

        // Act
        var second = FileLock.AcquireAsync(path, TimeSpan.FromSeconds(30), null, CancellationToken.None);
        await Task.Delay(300);
        var waitedWhileHeld = !second.IsCompleted;
        await first.DisposeAsync();
        await using var taken = await second;

        // Assert
        waitedWhileHeld.ShouldBeTrue();
    }

    [Fact]
    public async Task A_lock_held_past_the_timeout_is_an_environment_error_naming_the_lock_file()
    {
        // Arrange
        using var directory = new TempDirectory();
        var path = directory.File("blob.lock");
        await using var held = await FileLock.AcquireAsync(path, null, null, CancellationToken.None);

        // Act
        var error = await Should.ThrowAsync<SteerException>(() => FileLock.AcquireAsync(path, TimeSpan.FromMilliseconds(300), null, CancellationToken.None));

        // Assert
        error.Kind.ShouldBe(ErrorKind.Environment);
        error.Message.ShouldContain(path);
    }
}
