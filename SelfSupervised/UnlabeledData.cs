using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MlNetDeep.Data;
using MlNetDeep.Tasks;
using static TorchSharp.torch;

namespace MlNetDeep;

/// <summary>
/// Unlabeled rows as the training engine reads them. The engine's data bridge reads a target per row, so a constant
/// one is added in memory; no objective here reads it (the task loss weight is 0).
/// </summary>
internal static class UnlabeledData
{
    private const string TargetColumn = "__MlNetDeep_UnusedTarget";

    public static TrainingData Prepare(IDataView data, FeatureColumn features, int batchSize, int seed, bool normalize, Device device, CancellationToken cancellation)
    {
        var ml = new MLContext(seed);
        var withTarget = ml.Transforms.CustomMapping<NoColumns, UnusedTarget>((_, output) => output.Value = 0, contractName: null).Fit(data).Transform(data);
        var columns = new DataColumns(features, LabelColumn.Bind(withTarget.Schema, TargetColumn), null);
        var settings = new DataSettings(batchSize, 0, DataLoadingMode.CacheAsTensors, 1, seed, normalize);
        return TrainingData.Prepare(withTarget, null, columns, RegressionTask.Instance, settings, device, cancellation);
    }

    /// <summary>The next seed of the MLContext behind <paramref name="catalog"/> (fixed when it was created with a seed).</summary>
    public static int NextSeed(TransformsCatalog catalog, string name)
    {
        const BindingFlags any = BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public;
        var environment = typeof(TransformsCatalog).GetProperties(any).Where(p => typeof(IHostEnvironment).IsAssignableFrom(p.PropertyType)).Select(p => p.GetValue(catalog))
            .Concat(typeof(TransformsCatalog).GetFields(any).Where(f => typeof(IHostEnvironment).IsAssignableFrom(f.FieldType)).Select(f => f.GetValue(catalog)))
            .OfType<IHostEnvironment>().FirstOrDefault()
            ?? throw new InvalidOperationException("This ML.NET version hides the MLContext behind TransformsCatalog; pass ContrastivePretrainingOptions.Seed.");
        return environment.Register(name).Rand.Next();
    }

    private sealed class NoColumns;

    private sealed class UnusedTarget
    {
        [ColumnName(TargetColumn)]
        public float Value { get; set; }
    }
}
