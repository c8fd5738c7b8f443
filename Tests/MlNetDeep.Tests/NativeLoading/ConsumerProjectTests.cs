using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Runtime.Versioning;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.Build;

namespace MlNetDeep.Tests.NativeLoading;

/// <summary>
/// A user's app outside the repository, built and run the way users do, loads TorchSharp on this host: the build
/// must put the patched libLibTorchSharp.so in its output. Slow (a minute or two each): they restore, pack and copy
/// libtorch (600 MB) into throwaway folders, which they delete again. The shared NuGet cache is only read.
/// </summary>
[TestClass]
[OSCondition(OperatingSystems.Linux)]
[DoNotParallelize]
public sealed class ConsumerProjectTests
{
    // Trains one epoch through MlNetDeep's public API and prints the number of epochs trained.
    private const string AppSource = """
        using System.Linq;
        using Microsoft.ML;
        using MlNetDeep;

        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Enumerable.Range(0, 64).Select(i => new Row { X = i / 64f, Label = i / 32f }));
        var options = new FeedForwardOptions { FeatureColumnName = "X", NumberOfEpochs = 1, HiddenLayerSizes = [4] };
        System.Console.WriteLine(ml.Regression.Trainers.FeedForward(options).Fit(data).History.Count);

        public sealed class Row
        {
            public float X { get; set; }

            public float Label { get; set; }
        }

        """;
    // Beside Microsoft.ML.TorchSharp: MlNetDeep trains and predicts; ML.NET's TorchSharp estimators (whose Fit downloads
    // weights) are built and asked for their output columns; ML.NET's detection network, built without weights through
    // its public constructor, runs one forward pass; and the process reports the TorchSharp it loaded.
    private const string AppBesideMicrosoftMLTorchSharpSource = """
        using System;
        using System.IO;
        using System.Linq;
        using System.Reflection;
        using Microsoft.ML;
        using Microsoft.ML.TorchSharp;
        using Microsoft.ML.TorchSharp.AutoFormerV2;
        using MlNetDeep;

        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Enumerable.Range(0, 64).Select(i => new Row { X = i / 64f, Label = i / 32f }));
        var model = ml.Regression.Trainers.FeedForward(new FeedForwardOptions { FeatureColumnName = "X", NumberOfEpochs = 1, HiddenLayerSizes = [4] }).Fit(data);
        var engine = ml.Model.CreatePredictionEngine<Row, Prediction>(model);
        Console.WriteLine($"mlnetdeep: {model.History.Count} epoch, prediction {engine.Predict(new Row { X = 0.5f }).Score}");

        // ML.NET builds a SchemaShape from a schema only internally (its own tests reach it through InternalsVisibleTo).
        var createShape = typeof(SchemaShape).GetMethod("Create", BindingFlags.Static | BindingFlags.NonPublic, [typeof(DataViewSchema)])!;
        void PrintOutputs(string trainer, IEstimator<ITransformer> estimator, IDataView input)
        {
            var inputs = input.Schema.Select(c => c.Name).ToHashSet();
            foreach (var column in estimator.GetOutputSchema((SchemaShape)createShape.Invoke(null, [input.Schema])!).Where(c => !inputs.Contains(c.Name)))
                Console.WriteLine($"{trainer} output: {column.Name} {column.Kind} {column.ItemType}{(column.IsKey ? " key" : "")}");
        }
        IDataView Keyed<T>(T[] rows, string column) where T : class =>
            ml.Transforms.Conversion.MapValueToKey(column).Fit(ml.Data.LoadFromEnumerable(rows)).Transform(ml.Data.LoadFromEnumerable(rows));
        PrintOutputs("TextClassification", ml.MulticlassClassification.Trainers.TextClassification(),
            Keyed([new SentenceRow { Sentence1 = "good", Label = "positive" }], "Label"));
        PrintOutputs("NamedEntityRecognition", ml.MulticlassClassification.Trainers.NamedEntityRecognition(),
            Keyed([new TagRow { Sentence = "Alice lives", Label = ["PER", "O"] }], "Label"));
        var images = ml.Transforms.LoadImages("Image", null, "ImagePath")
            .Fit(Keyed([new BoxRow { ImagePath = "image.png", Label = ["cat"], BoundingBoxes = [0, 0, 10, 10] }], "Label"));
        PrintOutputs("ObjectDetection", ml.MulticlassClassification.Trainers.ObjectDetection(),
            images.Transform(Keyed([new BoxRow { ImagePath = "image.png", Label = ["cat"], BoundingBoxes = [0, 0, 10, 10] }], "Label")));

        try
        {
            using var network = new AutoFormerV2(1, [64, 128, 256, 448], [2, 2, 6, 2], [2, 4, 8, 14], TorchSharp.torch.CPU);
            network.eval();
            network.forward(TorchSharp.torch.zeros(1, 3, 96, 96));
            Console.WriteLine("autoformer forward: ok");
        }
        catch (Exception e)
        {
            Console.WriteLine($"autoformer forward: {e.GetType().Name}: {e.Message}");
        }

        foreach (var assembly in AppDomain.CurrentDomain.GetAssemblies().Where(a => a.GetName().Name == "TorchSharp"))
            Console.WriteLine($"torchsharp assembly: {assembly.GetName().Version}");
        foreach (var library in File.ReadLines("/proc/self/maps").Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries).Last()).Where(p => p.EndsWith("/libLibTorchSharp.so")).Distinct())
            Console.WriteLine($"torchsharp native: {library}");

        public sealed class Row
        {
            public float X { get; set; }

            public float Label { get; set; }
        }

        public sealed class Prediction
        {
            public float Score { get; set; }
        }

        public sealed class SentenceRow
        {
            public string Sentence1 { get; set; } = "";

            public string Label { get; set; } = "";
        }

        public sealed class TagRow
        {
            public string Sentence { get; set; } = "";

            public string[] Label { get; set; } = [];
        }

        public sealed class BoxRow
        {
            public string ImagePath { get; set; } = "";

            public string[] Label { get; set; } = [];

            public float[] BoundingBoxes { get; set; } = [];
        }

        """;
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(5);

    private string _root = "";

    [TestInitialize]
    public void CreateRoot() => _root = Directory.CreateTempSubdirectory("mlnetdeep-consumer-").FullName;

    [TestCleanup]
    public void RemoveRoot()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // A process killed on timeout may still hold a file; the folder is in the temp directory anyway.
        }
    }

    [TestMethod]
    [TestCategory("Slow")]
    public void AppWithAProjectReferenceToTrainersLoadsTorchSharp()
    {
        File.Copy(Path.Combine(BuildLocations.RepositoryRoot, "NuGet.config"), Path.Combine(_root, "NuGet.config"));
        string trainers = Path.Combine(BuildLocations.RepositoryRoot, "Trainers", "MlNetDeep.Trainers.csproj");
        string app = WriteApp($"<ProjectReference Include=\"{trainers}\" />");

        Dotnet(app, "build", "--disable-build-servers");
        Assert.AreEqual("1", LastLine(Dotnet(app, "run", "--no-build")));
        Assert.IsFalse(Directory.EnumerateDirectories(Path.Combine(app, "bin"), "DnnImageModels", SearchOption.AllDirectories).Any(),
            "the ResNet18 ONNX files reach only applications that reference their package");
        // Publishing carries TorchSharp's file as it is (a content item from a referenced project cannot replace a
        // package asset there), but it must not fail on the two files for one path.
        Dotnet(app, "publish", "-c", "Debug", "-o", Path.Combine(_root, "publish"), "--disable-build-servers");
    }

    [TestMethod]
    [TestCategory("Slow")]
    public void AppUsingThePackedPackagesLoadsTorchSharpAfterBuildAndPublish()
    {
        string cachedNative = BuildLocations.TorchSharpNativeInNuGetCache;
        string cachedNativeHash = Sha256(cachedNative);
        string feed = Path.Combine(_root, "feed");
        foreach (string project in new[] { "Scoring/MlNetDeep.Scoring.csproj", "Extensions/MlNetDeep.Extensions.csproj", "Trainers/MlNetDeep.Trainers.csproj" })
            Dotnet(_root, "pack", Path.Combine(BuildLocations.RepositoryRoot, project), "-o", feed,
                "--artifacts-path", Path.Combine(_root, "artifacts"), "--disable-build-servers");
        string package = Path.GetFileNameWithoutExtension(Directory.GetFiles(feed, "MlNetDeep.Trainers.*.nupkg").Single());
        string version = package["MlNetDeep.Trainers.".Length..];
        bool cacheHadPackage = Directory.Exists(Path.Combine(BuildLocations.NuGetPackageRoot, "mlnetdeep.trainers", version));
        WriteNuGetConfigWithLocalFeed(feed);
        string app = WriteApp($"<PackageReference Include=\"MlNetDeep.Trainers\" Version=\"{version}\" />");
        // Our packages go to a throwaway global folder; everything else is read from the shared cache as a fallback.
        var packages = new Dictionary<string, string> { ["NUGET_PACKAGES"] = Path.Combine(_root, "packages") };

        Dotnet(app, packages, "build", "--disable-build-servers");
        Assert.AreEqual("1", LastLine(Dotnet(app, packages, "run", "--no-build")));
        string published = Path.Combine(_root, "publish");
        Dotnet(app, packages, "publish", "-o", published, "--disable-build-servers");
        Assert.AreEqual("1", LastLine(Dotnet(published, packages, "app.dll")));

        Assert.AreEqual(cachedNativeHash, Sha256(cachedNative), "The shared NuGet cache's libLibTorchSharp.so changed.");
        Assert.AreEqual(cacheHadPackage, Directory.Exists(Path.Combine(BuildLocations.NuGetPackageRoot, "mlnetdeep.trainers", version)),
            "The packed package was extracted into the shared NuGet cache.");
    }

    [TestMethod]
    [TestCategory("Slow")]
    public void AppWithMicrosoftMLTorchSharpTrainsMlNetDeepOnOneTorchSharpRuntime()
    {
        File.Copy(Path.Combine(BuildLocations.RepositoryRoot, "NuGet.config"), Path.Combine(_root, "NuGet.config"));
        string trainers = Path.Combine(BuildLocations.RepositoryRoot, "Trainers", "MlNetDeep.Trainers.csproj");
        string app = WriteApp($"""
            <ProjectReference Include="{trainers}" />
                <PackageReference Include="Microsoft.ML.TorchSharp" Version="{CentralPackageVersion("Microsoft.ML.TorchSharp")}" />
            """, AppBesideMicrosoftMLTorchSharpSource);

        Dotnet(app, "build", "--disable-build-servers");
        string[] output = Dotnet(app, "run", "--no-build").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

        StringAssert.Matches(output.Single(l => l.StartsWith("mlnetdeep: ", StringComparison.Ordinal)), new Regex(@"^mlnetdeep: 1 epoch, prediction -?\d+(\.\d+)?(E-?\d+)?$"));
        CollectionAssert.AreEqual(new[] { "torchsharp assembly: 0.107.0.0" }, output.Where(l => l.StartsWith("torchsharp assembly: ", StringComparison.Ordinal)).ToArray(),
            "one managed TorchSharp, the version MlNetDeep is built on (Microsoft.ML.TorchSharp asks for 0.102.7 or later)");
        Assert.HasCount(1, output.Where(l => l.StartsWith("torchsharp native: ", StringComparison.Ordinal)), "one native libLibTorchSharp.so mapped");
        CollectionAssert.AreEqual(new[]
        {
            "TextClassification output: PredictedLabel Scalar UInt32 key",
            "TextClassification output: Score Vector Single",
            "NamedEntityRecognition output: PredictedLabel VariableVector UInt32 key",
            "ObjectDetection output: PredictedLabel VariableVector UInt32 key",
            "ObjectDetection output: PredictedBoundingBoxes VariableVector Single",
            "ObjectDetection output: Score VariableVector Single",
        }, output.Where(l => l.Contains(" output: ", StringComparison.Ordinal)).ToArray());
        // Microsoft.ML.TorchSharp 0.24.0 was compiled against TorchSharp 0.102.7, whose functional.interpolate has
        // another signature: its detection network cannot run beside TorchSharp 0.107 (README, "Beside ML.NET's TorchSharp trainers").
        string forward = output.Single(l => l.StartsWith("autoformer forward: ", StringComparison.Ordinal));
        StringAssert.StartsWith(forward, "autoformer forward: MissingMethodException: Method not found: 'Tensor functional.interpolate(");
    }

    [TestMethod]
    [TestCategory("Slow")]
    public void WithoutThePatchTheErrorGivesTheNativeLoadersReason()
    {
        File.Copy(Path.Combine(BuildLocations.RepositoryRoot, "NuGet.config"), Path.Combine(_root, "NuGet.config"));
        string trainers = Path.Combine(BuildLocations.RepositoryRoot, "Trainers", "MlNetDeep.Trainers.csproj");
        string app = WriteApp($"<ProjectReference Include=\"{trainers}\" />");
        var unpatchedOutput = new[] { "-p:MlNetDeepPatchTorchSharpNative=false", "-o", Path.Combine(_root, "unpatched") };

        Dotnet(app, ["build", "--disable-build-servers", .. unpatchedOutput]);
        var (exitCode, _, transcript) = Run(Path.Combine(_root, "unpatched"), new Dictionary<string, string>(), "app.dll");

        string hostLibstdcxx = HostLibraryLocator.Find("libstdc++.so.6", ElfVersionNeedPatcher.ReadMachine(BuildLocations.TorchSharpNativeInNuGetCache))!;
        if (ElfVersionNeedPatcher.ReadDefinedVersions(hostLibstdcxx).Contains("GLIBCXX_3.4.32"))
        {
            Assert.AreEqual(0, exitCode, "this host needs no patch, so the unpatched file loads:\n" + transcript);
            return;
        }
        Assert.AreNotEqual(0, exitCode);
        const string prefix = "MlNetDeep.TorchRuntimeException: ";
        StringAssert.Contains(transcript, prefix);
        string message = transcript[(transcript.IndexOf(prefix, StringComparison.Ordinal) + prefix.Length)..].Split(" ---> ")[0];
        StringAssert.StartsWith(message, "TorchSharp's native library could not be loaded. The native loader says: ");
        StringAssert.Contains(message, "version `GLIBCXX_3.4.32' not found", "the dynamic loader's own reason");
        Assert.DoesNotContain("doesn't contain a reference to", message, "not TorchSharp's misleading guess");
    }

    [TestMethod]
    [TestCategory("Slow")]
    public void AScoringOnlyAppScoresAnMlNetDeepModelAndPublishesWithoutTorchSharp()
    {
        File.Copy(Path.Combine(BuildLocations.RepositoryRoot, "NuGet.config"), Path.Combine(_root, "NuGet.config"));
        var ml = new MLContext(seed: 1);
        var data = TestData.KeyedBlobs(ml, 60, seed: 2);
        using var model = ml.MulticlassClassification.Trainers.FeedForward(new FeedForwardOptions { NumberOfEpochs = 1, Seed = 1, HiddenLayerSizes = [4] }).Fit(data);
        string modelPath = Path.Combine(_root, "model.zip");
        ml.Model.Save(model, data.Schema, modelPath);
        var features = data.GetColumn<float[]>("Features").First();
        var expected = model.Transform(ml.Data.TakeRows(data, 1)).GetColumn<float[]>("Score").Single();
        string scoring = Path.Combine(BuildLocations.RepositoryRoot, "Scoring", "MlNetDeep.Scoring.csproj");
        string app = WriteProject($"<ProjectReference Include=\"{scoring}\" />", ScoringAppSource);

        string published = Path.Combine(_root, "publish");
        Dotnet(app, "publish", "-c", "Debug", "-o", published, "--disable-build-servers");
        string scores = LastLine(Dotnet(published, "app.dll", modelPath, string.Join(' ', features.Select(v => v.ToString("R", CultureInfo.InvariantCulture)))));

        CollectionAssert.AreEqual(expected, scores.Split(' ').Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray());
        var torchFiles = Directory.EnumerateFileSystemEntries(published, "*", SearchOption.AllDirectories)
            .Where(f => Path.GetFileName(f).Contains("torch", StringComparison.OrdinalIgnoreCase)).ToArray();
        Assert.IsEmpty(torchFiles, "no TorchSharp or libtorch file: " + string.Join(", ", torchFiles));
    }

    // Loads the model.zip given as the first argument and prints the scores of the features given as the second.
    private const string ScoringAppSource = """
        using System.Globalization;
        using System.Linq;
        using Microsoft.ML;
        using Microsoft.ML.Data;

        var ml = new MLContext();
        var model = ml.Model.Load(args[0], out _);
        var features = args[1].Split(' ').Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        var schema = SchemaDefinition.Create(typeof(Input));
        schema[0].ColumnType = new VectorDataViewType(NumberDataViewType.Single, features.Length);
        var engine = ml.Model.CreatePredictionEngine<Input, Output>(model, inputSchemaDefinition: schema);
        System.Console.WriteLine(string.Join(' ', engine.Predict(new Input { Features = features }).Score.Select(s => s.ToString("R", CultureInfo.InvariantCulture))));

        public sealed class Input
        {
            public float[] Features { get; set; } = [];
        }

        public sealed class Output
        {
            public float[] Score { get; set; } = [];
        }

        """;

    private string WriteApp(string reference, string source = AppSource) =>
        WriteProject($"{reference}\n    <PackageReference Include=\"{BuildLocations.TorchSharpBackendPackage}\" Version=\"{BuildLocations.TorchSharpBackendVersion}\" />", source);

    private string WriteProject(string references, string source)
    {
        string app = Path.Combine(_root, "app");
        Directory.CreateDirectory(app);
        string targetFramework = "net" + typeof(ConsumerProjectTests).Assembly.GetCustomAttribute<TargetFrameworkAttribute>()!.FrameworkName.Split("Version=v")[1];
        File.WriteAllText(Path.Combine(app, "app.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>{targetFramework}</TargetFramework>
              </PropertyGroup>
              <ItemGroup>
                {references}
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(app, "Program.cs"), source);
        return app;
    }

    /// <summary>A package's version in the repository's Directory.Packages.props (an app outside the repository does not read it).</summary>
    private static string CentralPackageVersion(string package) =>
        XDocument.Load(Path.Combine(BuildLocations.RepositoryRoot, "Directory.Packages.props")).Descendants("PackageVersion")
            .Single(p => (string?)p.Attribute("Include") == package).Attribute("Version")!.Value;

    /// <summary>The repository's NuGet.config plus the local feed for MlNetDeep.* and the shared cache as a read-only fallback.</summary>
    private void WriteNuGetConfigWithLocalFeed(string feed)
    {
        XDocument config = XDocument.Load(Path.Combine(BuildLocations.RepositoryRoot, "NuGet.config"));
        XElement root = config.Root!;
        root.Element("packageSources")!.Add(new XElement("add", new XAttribute("key", "mlnetdeep-local"), new XAttribute("value", feed)));
        root.Element("packageSourceMapping")?.Add(new XElement("packageSource", new XAttribute("key", "mlnetdeep-local"),
            new XElement("package", new XAttribute("pattern", "MlNetDeep.*"))));
        root.Add(new XElement("fallbackPackageFolders", new XElement("clear"),
            new XElement("add", new XAttribute("key", "shared-cache"), new XAttribute("value", BuildLocations.NuGetPackageRoot))));
        config.Save(Path.Combine(_root, "NuGet.config"));
    }

    private static string Dotnet(string workingDirectory, params string[] arguments) =>
        Dotnet(workingDirectory, new Dictionary<string, string>(), arguments);

    /// <summary>Runs the dotnet CLI and returns its standard output; fails the test on a non-zero exit or a timeout.</summary>
    private static string Dotnet(string workingDirectory, IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        var (exitCode, output, transcript) = Run(workingDirectory, environment, arguments);
        Assert.AreEqual(0, exitCode, $"dotnet {string.Join(' ', arguments)} (in {workingDirectory}) failed:\n{Tail(transcript)}");
        return output;
    }

    /// <summary>Runs the dotnet CLI and returns its exit code, its standard output, and both outputs together; fails the test on a timeout.</summary>
    private static (int ExitCode, string Output, string Transcript) Run(string workingDirectory, IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string argument in arguments)
            start.ArgumentList.Add(argument);
        // The test host may run inside an MSBuild or test-platform environment that a fresh build must not inherit.
        foreach (string key in start.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToList())
            start.Environment.Remove(key);
        // Reused build nodes would outlive the command and keep its output pipes open.
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        foreach (KeyValuePair<string, string> variable in environment)
            start.Environment[variable.Key] = variable.Value;

        string command = $"dotnet {string.Join(' ', arguments)} (in {workingDirectory})";
        using Process process = Process.Start(start) ?? throw new AssertFailedException($"Could not start {command}.");
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> errors = process.StandardError.ReadToEndAsync();
        bool exited = process.WaitForExit(CommandTimeout);
        if (!exited)
            process.Kill(entireProcessTree: true);
        Task.WaitAll([output, errors], TimeSpan.FromSeconds(30));
        string transcript = $"{(output.IsCompleted ? output.Result : "")}\n{(errors.IsCompleted ? errors.Result : "")}";
        Assert.IsTrue(exited, $"{command} did not finish within {CommandTimeout}:\n{Tail(transcript)}");
        return (process.ExitCode, output.Result, transcript);
    }

    private static string LastLine(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "";

    private static string Tail(string text) => text.Length <= 8000 ? text : "…" + text[^8000..];

    private static string Sha256(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));
}
