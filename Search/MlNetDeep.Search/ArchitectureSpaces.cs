using System.Text.Json.Nodes;

namespace MlNetDeep.Search;

/// <summary>
/// A search space over one trainer's options. A sampled point becomes options in two steps: parameters named after a
/// property of <typeparamref name="TOptions"/> (e.g. "LearningRate", "WeightDecay", "BatchSize", "Kind") set that
/// property through the options' JSON, so every trainer's options can be searched; architecture spaces then read their
/// own parameters (layers, widths, stages) in <see cref="ApplyArchitecture"/>.
/// </summary>
/// <typeparam name="TOptions">The trainer's options type.</typeparam>
public class OptionsSpace<TOptions> where TOptions : DeepTrainerOptions, new()
{
    /// <summary>A space over <typeparamref name="TOptions"/> starting from <paramref name="template"/> (default options when null).</summary>
    public OptionsSpace(TOptions? template = null) => Template = template ?? new TOptions();

    /// <summary>The options every trial starts from; sampled parameters override it. Its <see cref="DeepTrainerOptions.NumberOfEpochs"/> is a trial's most epochs.</summary>
    public TOptions Template { get; }

    /// <summary>The parameters; add your own (named after option properties) to search them too.</summary>
    public SearchSpace Space { get; } = new();

    /// <summary>The parameter names <see cref="ApplyArchitecture"/> reads (not option properties).</summary>
    protected virtual IReadOnlyCollection<string> ArchitectureParameters => [];

    /// <summary>The options of the trial at <paramref name="point"/>, with <paramref name="seed"/>; validated.</summary>
    public TOptions OptionsAt(SearchPoint point, int seed)
    {
        var json = JsonNode.Parse(Template.ToJson())!.AsObject();
        foreach (var (name, value) in point.Values)
        {
            if (ArchitectureParameters.Contains(name))
                continue;
            json[name] = value is Enum ? JsonValue.Create(value.ToString()) : JsonValue.Create(value);
        }
        json[nameof(DeepTrainerOptions.Seed)] = seed;
        var options = DeepTrainerOptions.FromJson<TOptions>(json.ToJsonString());
        ApplyArchitecture(point, options);
        options.Validate();
        return options;
    }

    /// <summary>Sets the options that the architecture parameters describe.</summary>
    protected virtual void ApplyArchitecture(SearchPoint point, TOptions options) { }

    /// <summary>Checks the space and that every parameter is either an architecture parameter or a property of <typeparamref name="TOptions"/>.</summary>
    /// <exception cref="ArgumentException">The space is empty, contradictory, or names an unknown option.</exception>
    public void Validate()
    {
        Space.Validate();
        var properties = JsonNode.Parse(Template.ToJson())!.AsObject().Select(p => p.Key).ToHashSet();
        foreach (var parameter in Space.Parameters)
        {
            if (!ArchitectureParameters.Contains(parameter.Name) && !properties.Contains(parameter.Name))
                throw new ArgumentException(
                    $"Search parameter '{parameter.Name}' is neither an architecture parameter of {GetType().Name} nor a property of {typeof(TOptions).Name}.");
        }
    }

    /// <summary>Describes the space and the template, stored with a trial table so that a resume with other settings is refused.</summary>
    public string Describe() => $"{GetType().Name}<{typeof(TOptions).Name}>: {Space.Describe()} | template {StableHash(Template.ToJson())}";

    private static string StableHash(string text)
    {
        var hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text));
        return Convert.ToHexString(hash, 0, 8);
    }
}

/// <summary>
/// Feed-forward architectures: the number of hidden layers, each layer's width, dropout, batch normalization and the
/// learning rate. Parameters: "layers", "width1".."widthN" (width i active when there are at least i layers),
/// "DropoutRate", "BatchNormalization", "LearningRate".
/// </summary>
public sealed class FeedForwardSpace : OptionsSpace<FeedForwardOptions>
{
    private readonly int maxLayers;

    /// <summary>A feed-forward space of 1..<paramref name="maxLayers"/> hidden layers with widths from <paramref name="widths"/> (default 32..512).</summary>
    public FeedForwardSpace(FeedForwardOptions? template = null, int minLayers = 1, int maxLayers = 3, int[]? widths = null,
        double maxDropout = 0.5, double minLearningRate = 1e-4, double maxLearningRate = 1e-2) : base(template)
    {
        if (minLayers < 1 || maxLayers < minLayers)
            throw new ArgumentException($"FeedForwardSpace: layers must satisfy 1 <= minLayers <= maxLayers (got {minLayers}..{maxLayers}).");
        this.maxLayers = maxLayers;
        widths ??= [32, 64, 128, 256, 512];
        Space.Int("layers", minLayers, maxLayers);
        for (var i = 1; i <= maxLayers; i++)
        {
            Space.Choice($"width{i}", widths.Cast<object>().ToArray());
            if (i > minLayers)
                Space.When("layers", Enumerable.Range(i, maxLayers - i + 1).Cast<object>().ToArray());
        }
        Space.Float(nameof(FeedForwardOptions.DropoutRate), 0, maxDropout)
            .Choice(nameof(FeedForwardOptions.BatchNormalization), false, true)
            .LogFloat(nameof(DeepTrainerOptions.LearningRate), minLearningRate, maxLearningRate);
    }

    /// <inheritdoc />
    protected override IReadOnlyCollection<string> ArchitectureParameters =>
        ["layers", .. Enumerable.Range(1, maxLayers).Select(i => $"width{i}")];

    /// <inheritdoc />
    protected override void ApplyArchitecture(SearchPoint point, FeedForwardOptions options) =>
        options.HiddenLayerSizes = Enumerable.Range(1, point.Get<int>("layers")).Select(i => point.Get<int>($"width{i}")).ToArray();
}

/// <summary>
/// Convolutional architectures: the number of stages and each stage's channels, the kernel size, pooling, residual
/// blocks, the dense head's width, dropout and the learning rate. Parameters: "stages", "channels1".."channelsN",
/// "kernel", "pooling", "residual", "hidden", "DropoutRate", "LearningRate".
/// </summary>
public sealed class ConvolutionalNetworkSpace : OptionsSpace<ConvolutionalNetworkOptions>
{
    private readonly int maxStages;

    /// <summary>A convolutional space of 1..<paramref name="maxStages"/> stages with channels from <paramref name="channels"/> (default 16..128).</summary>
    public ConvolutionalNetworkSpace(ConvolutionalNetworkOptions? template = null, int minStages = 1, int maxStages = 3, int[]? channels = null,
        int[]? kernelSizes = null, bool searchResidual = true, int[]? hiddenWidths = null, double minLearningRate = 1e-4, double maxLearningRate = 1e-2)
        : base(template)
    {
        if (minStages < 1 || maxStages < minStages)
            throw new ArgumentException($"ConvolutionalNetworkSpace: stages must satisfy 1 <= minStages <= maxStages (got {minStages}..{maxStages}).");
        this.maxStages = maxStages;
        channels ??= [16, 32, 64, 128];
        Space.Int("stages", minStages, maxStages);
        for (var i = 1; i <= maxStages; i++)
        {
            Space.Choice($"channels{i}", channels.Cast<object>().ToArray());
            if (i > minStages)
                Space.When("stages", Enumerable.Range(i, maxStages - i + 1).Cast<object>().ToArray());
        }
        Space.Choice("kernel", (kernelSizes ?? [3, 5]).Cast<object>().ToArray())
            .Choice("pooling", PoolingKind.Max, PoolingKind.Average);
        if (searchResidual)
            Space.Choice("residual", false, true);
        Space.Choice("hidden", (hiddenWidths ?? [64, 128, 256]).Cast<object>().ToArray())
            .Float(nameof(NetworkOptions.DropoutRate), 0, 0.5)
            .LogFloat(nameof(DeepTrainerOptions.LearningRate), minLearningRate, maxLearningRate);
    }

    /// <inheritdoc />
    protected override IReadOnlyCollection<string> ArchitectureParameters =>
        ["stages", "kernel", "pooling", "residual", "hidden", .. Enumerable.Range(1, maxStages).Select(i => $"channels{i}")];

    /// <inheritdoc />
    protected override void ApplyArchitecture(SearchPoint point, ConvolutionalNetworkOptions options)
    {
        var residual = point.Has("residual") && point.Get<bool>("residual");
        var kernel = point.Get<int>("kernel");
        options.Blocks = Enumerable.Range(1, point.Get<int>("stages"))
            .Select(i => new ConvolutionBlock(point.Get<int>($"channels{i}"))
            {
                KernelSize = residual ? 3 : kernel,
                Pooling = point.Get<PoolingKind>("pooling"),
                Residual = residual,
            })
            .ToArray();
        options.HiddenLayerSizes = [point.Get<int>("hidden")];
    }
}
