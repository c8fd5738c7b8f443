using Microsoft.Extensions.Primitives;
using Microsoft.ML;
using Microsoft.ML.Data;
using WebApi;

namespace MlNetDeep.Serving.Tests;

/// <summary>
/// A second model source beside FileModelSource, as a model store would be: model.zip bytes held in memory, published with a
/// version of the caller's choosing. Every model it loads is wrapped so that tests can see when the pool disposes it.
/// </summary>
internal sealed class InMemoryModelSource(byte[] bytes, string version) : ModelSource
{
    private readonly Lock gate = new();
    private (byte[] Bytes, string Version) current = (bytes, version);
    private CancellationTokenSource changed = new();

    public List<DisposalTrackingTransformer> Loaded { get; } = [];

    public bool IsDisposed { get; private set; }

    public override string Description => "memory store";

    public override IChangeToken GetReloadToken()
    {
        lock (gate)
            return new CancellationChangeToken(changed.Token);
    }

    public override Task<LoadedModel> LoadAsync(MLContext mlContext, CancellationToken cancellationToken)
    {
        (byte[] Bytes, string Version) model;
        lock (gate)
            model = current;
        using var stream = new MemoryStream(model.Bytes);
        var tracked = new DisposalTrackingTransformer(mlContext.Model.Load(stream, out var schema));
        lock (gate)
            Loaded.Add(tracked);
        return Task.FromResult(new LoadedModel(tracked, schema, model.Version));
    }

    /// <summary>Publishes a new model and waits until the pool serves it.</summary>
    public async Task PublishAsync(byte[] modelBytes, string modelVersion, PredictionEnginePool<ModelInput, ModelOutput> pool, string modelName = "")
    {
        CancellationTokenSource fired;
        lock (gate)
        {
            current = (modelBytes, modelVersion);
            fired = changed;
            changed = new CancellationTokenSource();
        }
        fired.Cancel();
        Assert.IsNotNull(await Pools.Until(() => pool.GetStatus(modelName).Version == modelVersion, TimeSpan.FromSeconds(5)), $"version {modelVersion} was not swapped in");
    }

    protected override void Dispose(bool disposing)
    {
        IsDisposed = true;
        base.Dispose(disposing);
    }
}

/// <summary>Forwards to a loaded model and records its disposal.</summary>
internal sealed class DisposalTrackingTransformer(ITransformer inner) : ITransformer, IDisposable
{
    public bool IsDisposed { get; private set; }

    public bool IsRowToRowMapper => inner.IsRowToRowMapper;

    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => inner.GetOutputSchema(inputSchema);

    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => inner.GetRowToRowMapper(inputSchema);

    public IDataView Transform(IDataView input) => inner.Transform(input);

    void ICanSaveModel.Save(ModelSaveContext ctx) => inner.Save(ctx);

    public void Dispose()
    {
        IsDisposed = true;
        (inner as IDisposable)?.Dispose();
    }
}
