namespace Steer.Server.Scheduling;

/// <summary>
/// Work that uses the model but is not a completion (computing a steering vector for POST /v1/vectors): it runs
/// on the inference thread like everything else that touches the model's tensors.
/// </summary>
internal sealed class ModelTask<T>(Func<LanguageModel, T> work, CancellationToken cancellation) : WorkItem(cancellation), IModelTask
{
    private readonly TaskCompletionSource<T> _result = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<T> Result => _result.Task;

    public void Run(LanguageModel model)
    {
        try
        {
            _result.TrySetResult(work(model));
        }
        catch (Exception e)
        {
            _result.TrySetException(e);
        }
    }

    public override void Cancel() => _result.TrySetCanceled(Cancellation);

    public override void Fail(Exception error) => _result.TrySetException(error);
}

internal interface IModelTask
{
    void Run(LanguageModel model);
}
