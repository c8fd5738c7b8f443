using System.Globalization;
using MlNetDeep;
using MlNetDeep.Benchmarks;

const string Usage = "usage: dotnet run -c Release --project Benchmarks/MlNetDeep.Benchmarks -- [--suite mlp|cnn] --mode quick|full [--out path.json]\n       dotnet run -c Release --project Benchmarks/MlNetDeep.Benchmarks -- --suite cnn-wide [--regularized [--augmented]] | cnn-deep [--augmented] [--seed N] [--threads N] [--out path.json]\n       dotnet run -c Release --project Benchmarks/MlNetDeep.Benchmarks -- --suite resnet [--train-per-class 100] [--test-rows 2000] [--resolution 64] [--epochs 4] [--only frozen-onnx|frozen|fine-tuned|from-scratch] [--erasing P] [--label-smoothing S] [--seed N] [--threads N] [--out path.json]\n       dotnet run -c Release --project Benchmarks/MlNetDeep.Benchmarks -- --sequences smoke|quick|full [--spam folder] [--only prefix]\n       dotnet run -c Release --project Benchmarks/MlNetDeep.Benchmarks -- --suite inference [--mode quick|full] [--stream-rows N] [--out path.json]\n       dotnet run -c Release --project Benchmarks/MlNetDeep.Benchmarks -- --suite serving [--only overhead,http,memory,reloads] [--seconds 60] [--connections 1,16,64] [--memory-requests 1000000] [--batch-size 64] [--batch-delay-ms 0] [--concurrent-batches 1]\n       dotnet run -c Release --project Benchmarks/MlNetDeep.Benchmarks -- --suite compression [--only unstructured,structured,sparse,distillation,table] [--train-rows N] [--mlp-epochs N] [--cnn-epochs N] [--teacher-epochs N] [--seeds 1,2,3] [--cnn-seeds 1] [--threads N] [--tag name]\n       dotnet run -c Release --project Benchmarks/MlNetDeep.Benchmarks -- --suite search [--train-rows 6000] [--epochs 30] [--epochs-per-trial 6] [--seeds 1]\n       .ci/with-postgres dotnet run -c Release --project Benchmarks/MlNetDeep.Benchmarks -- --suite registry [--repeats 30] [--versions 10000] [--kill-trials 100] [--model-mib 5] [--out path.json]\n       dotnet run -c Release --project Benchmarks/MlNetDeep.Benchmarks -- --suite small-tables [--tables iris,wine] [--seeds 1,2,3,4,5] [--models mlnetdeep,lightgbm,sklearn] [--options json] [--out path.json]";

// Every timing here, and the PyTorch runs beside them (PyTorchReference gives them the same settings), uses the allocator settings.
MlNetDeepRuntime.TuneNativeAllocator();

if (args is ["--suite", "resnet", .. var resnetArgs])
    return ResNetSuite.Run(resnetArgs);

if (args is ["--suite", "compression", .. var compressionArgs])
    return CompressionSuite.Run(compressionArgs);
if (args is ["--suite", "registry", .. var registryArgs])
    return RegistrySuite.Run(registryArgs);

if (args is ["--suite", var cnnSuite, .. var recipeArgs] && cnnSuite is "cnn-wide" or "cnn-deep")
{
    int? IntegerAfter(string flag) =>
        Array.IndexOf(recipeArgs, flag) is var at and >= 0 && at + 1 < recipeArgs.Length ? int.Parse(recipeArgs[at + 1], CultureInfo.InvariantCulture) : null;
    var deep = cnnSuite == "cnn-deep";
    var regularized = !deep && recipeArgs.Contains("--regularized");
    var augmented = (deep || regularized) && recipeArgs.Contains("--augmented");
    var recipe = deep ? "four-convolutions" : regularized ? "widened-regularized" : "widened";
    var seed = IntegerAfter("--seed");
    var fileStem = deep ? "cnn-deep" : regularized ? "cnn-wide-regularized" : "cnn-wide";
    var recipeOut = Array.IndexOf(recipeArgs, "--out") is var outAt and >= 0 && outAt + 1 < recipeArgs.Length ? recipeArgs[outAt + 1]
        : Path.Combine(ProjectFolders.Results, $"{fileStem}{(augmented ? "-augmented" : "")}{(seed is null ? "" : $"-seed{seed}")}-fashion-mnist-full.json");
    CnnSuite.RunAccuracyRecipe(Path.GetFullPath(recipeOut), recipe, augmented, seed, IntegerAfter("--threads"));
    return 0;
}

if (args is ["--suite", "small-tables", .. var smallTableArgs])
    return MlNetDeep.Benchmarks.SmallTables.SmallTableSuite.Run(smallTableArgs);

if (args is ["--suite", "inference", .. var inferenceArgs])
    return InferenceSuite.Run(inferenceArgs);

if (args is ["--suite", "serving", .. var servingArgs])
    return ServingSuite.Run(servingArgs);

if (args is ["--suite", "search", .. var searchArgs])
    return SearchSuite.Run(searchArgs);

if (args is ["--sequences", ..])
    return SequenceBenchmarks.Run(args[1..]);

var suite = "mlp";
var mode = "quick";
string? outPath = null;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--suite" when i + 1 < args.Length:
            suite = args[++i];
            break;
        case "--mode" when i + 1 < args.Length:
            mode = args[++i];
            break;
        case "--out" when i + 1 < args.Length:
            outPath = args[++i];
            break;
        default:
            Console.Error.WriteLine(Usage);
            return 2;
    }
}
if (mode is not ("quick" or "full") || suite is not ("mlp" or "cnn"))
{
    Console.Error.WriteLine(Usage);
    return 2;
}

var output = Path.GetFullPath(outPath ?? Path.Combine(ProjectFolders.Results, $"{suite}-fashion-mnist-{mode}.json"));
if (suite == "mlp")
    MlpSuite.Run(args, mode, output);
else
    CnnSuite.Run(args, mode, output);
return 0;
