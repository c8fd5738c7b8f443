using System.Reflection;

namespace MlNetDeep.Benchmarks;

/// <summary>Folders of the Benchmarks tree, fixed at build time so that any working directory works.</summary>
internal static class ProjectFolders
{
    /// <summary>Benchmarks/results: where the JSON files go.</summary>
    public static string Results => Metadata("ResultsFolder");

    /// <summary>Benchmarks/pytorch: the PyTorch reference scripts.</summary>
    public static string PyTorch => Metadata("PyTorchFolder");

    /// <summary>Benchmarks/smalltables: the small-table suite's tables, splits and scikit-learn script.</summary>
    public static string SmallTables => Metadata("SmallTablesFolder");

    /// <summary>The Web API sample's build output (same configuration), for the serving suite.</summary>
    public static string WebApi => Metadata("WebApiFolder");

    /// <summary>Samples/Data/fashion-mnist: the 6,000 + 1,000 image subset in the repository.</summary>
    public static string SampleData => Metadata("SampleDataFolder");

    private static string Metadata(string key) =>
        typeof(ProjectFolders).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;
}
