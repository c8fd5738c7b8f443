using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace MlNetDeep.Runtime;

/// <summary>
/// The two things a third-party estimator needs that ML.NET 5 keeps internal: the MLContext behind a trainers catalog (so
/// trainers draw their seed from it as ML.NET's own do) and building a <see cref="SchemaShape"/> from a schema (for
/// <c>GetOutputSchema</c>). Both are read by reflection here and nowhere else.
/// </summary>
internal static class MlNetInternals
{
    private const BindingFlags Any = BindingFlags.Instance | BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public;

    private static readonly MethodInfo? CreateShape = typeof(SchemaShape).GetMethod("Create", Any, [typeof(DataViewSchema)]);

    public static IHostEnvironment EnvironmentOf(TrainCatalogBase.CatalogInstantiatorBase catalog)
    {
        var owner = typeof(TrainCatalogBase.CatalogInstantiatorBase).GetProperty("Owner", Any)?.GetValue(catalog);
        return typeof(TrainCatalogBase).GetProperty("Environment", Any)?.GetValue(owner) as IHostEnvironment
            ?? throw Unsupported($"the MLContext behind {catalog.GetType().Name}");
    }

    /// <summary>The next seed from the MLContext's random source (fixed when the MLContext was created with a seed).</summary>
    public static int NextSeed(IHostEnvironment environment, string trainerName) => environment.Register(trainerName).Rand.Next();

    public static SchemaShape ShapeOf(DataViewSchema schema) =>
        CreateShape?.Invoke(null, [schema]) as SchemaShape ?? throw Unsupported("SchemaShape.Create");

    private static InvalidOperationException Unsupported(string what) =>
        new($"MlNetDeep cannot reach {what} in this version of ML.NET; it was built for Microsoft.ML 5.0.");
}
