using System.Globalization;
using MlNetDeep.Search;
using MlNetDeep.Search.Orleans;
using Microsoft.ML;

namespace MlNetDeep.SearchWorker;

/// <summary>The worker's command line: cluster ports and the search plan (every process of a cluster gets the same plan arguments).</summary>
internal sealed class WorkerSettings
{
    public const string Usage = """
        MlNetDeep.SearchWorker: a worker silo of an MlNetDeep search on localhost clustering.
          --folder DIR          shared folder: trial table, trial models (required)
          --train FILE.idv      training data, ML.NET binary IDataView with a key Label and a Features vector (required)
          --validation FILE.idv validation data (optional; else the template's 10% split)
          --silo-port N --gateway-port N   this silo's ports (default 11111, 30000)
          --primary-port N      the primary silo's port; omit on the primary
          --architecture mlp|cnn   (default mlp; cnn needs --image-size)
          --image-size N        square grayscale images of N×N pixels
          --trials N --max-epochs N --epochs-per-trial N   budget (defaults 8, none, 3)
          --sampler random|halton|tpe --scheduler none|asha|median --seed N   (defaults random, asha, 0)
          --slots N             trials at once on this silo (default 1)   --threads N   libtorch threads per trial (default 1)
          --lease-seconds N     re-queue a silent trial after N s (default 10)
          --exit-when-finished  stop the process once the search has finished
        """;

    private readonly Dictionary<string, string> values = [];

    public WorkerSettings(string[] args)
    {
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal))
                throw new ArgumentException($"Unexpected argument '{args[i]}'.\n{Usage}");
            var key = args[i][2..];
            values[key] = i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal) ? args[++i] : "true";
        }
        if (!values.ContainsKey("folder") || !values.ContainsKey("train"))
            throw new ArgumentException($"--folder and --train are required.\n{Usage}");
    }

    public string Folder => values["folder"];
    public int SiloPort => Int("silo-port", 11111);
    public int GatewayPort => Int("gateway-port", 30000);
    public int? PrimaryPort => values.ContainsKey("primary-port") ? Int("primary-port", 0) : null;
    public int Slots => Int("slots", 1);
    public bool ExitWhenFinished => values.ContainsKey("exit-when-finished");
    public const string PlanName = "search";

    public SearchPlan Plan()
    {
        var options = new DeepSearchOptions
        {
            Folder = Folder,
            MaxTrials = Int("trials", 8),
            MaxEpochs = values.ContainsKey("max-epochs") ? Int("max-epochs", 0) : null,
            Seed = Int("seed", 0),
            Sampler = values.GetValueOrDefault("sampler", "random") switch
            {
                "random" => new RandomSampler(),
                "halton" => new HaltonSampler(),
                "tpe" => new TpeSampler(),
                var other => throw new ArgumentException($"--sampler {other}: use random, halton or tpe."),
            },
            Scheduler = values.GetValueOrDefault("scheduler", "asha") switch
            {
                "none" => new NoStopping(),
                "asha" => new AshaScheduler(),
                "hyperband" => new HyperbandScheduler(),
                "median" => new MedianStoppingRule(),
                var other => throw new ArgumentException($"--scheduler {other}: use none, asha, hyperband or median."),
            },
        };
        var ml = new MLContext();
        var epochs = Int("epochs-per-trial", 3);
        var threads = Int("threads", 1);
        SearchDefinition definition = values.GetValueOrDefault("architecture", "mlp") switch
        {
            "mlp" => ml.MulticlassClassification.Search(new FeedForwardSpace(new FeedForwardOptions
            {
                NumberOfEpochs = epochs, NumberOfThreads = threads, BatchSize = 128, LearningRateSchedule = null, EarlyStopping = null,
            }), options),
            "cnn" => ml.MulticlassClassification.Search(new ConvolutionalNetworkSpace(new ConvolutionalNetworkOptions
            {
                NumberOfEpochs = epochs, NumberOfThreads = threads, BatchSize = 128, LearningRateSchedule = null, EarlyStopping = null,
                ImageShape = new ImageShape(1, Int("image-size", 28), Int("image-size", 28)),
            }), options),
            var other => throw new ArgumentException($"--architecture {other}: use mlp or cnn."),
        };
        var train = values["train"];
        var validation = values.GetValueOrDefault("validation");
        return new SearchPlan(PlanName, definition, context => (Load(context, train), validation is null ? null : Load(context, validation)))
        {
            LeaseTimeout = TimeSpan.FromSeconds(Int("lease-seconds", 10)),
        };
    }

    private static IDataView Load(MLContext ml, string path) => File.Exists(path)
        ? ml.Data.LoadFromBinary(path)
        : throw new FileNotFoundException($"The data file '{path}' does not exist or this worker cannot reach it.", path);

    private int Int(string key, int fallback)
    {
        if (!values.TryGetValue(key, out var text))
            return fallback;
        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new ArgumentException($"--{key} needs a whole number (got '{text}').");
    }
}
