using System.Diagnostics;
using MlNetDeep.Data;
using MlNetDeep.Networks;
using MlNetDeep.Tasks;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetDeep.Engine;

/// <summary>Everything one Fit trains with.</summary>
internal sealed record TrainingSetup(
    nn.Module<Tensor, Tensor> Network,
    PredictionTask Task,
    TrainingData Data,
    DeepTrainerOptions Options,
    int Seed,
    Device Device,
    string NetworkJson,
    ImageLayout? ImageLayout,
    TrainingHooks Hooks)
{
    /// <summary>Layer groups with their own learning-rate multiplier and unfreezing epoch, or null to train all layers alike.</summary>
    public IReadOnlyList<LayerGroup>? LayerGroups { get; init; }
}

/// <summary>
/// The one training loop every MlNetDeep trainer runs: batches through forward, loss, backward and optimizer step, a
/// validation pass per epoch, and callbacks around each step. It knows neither the architecture nor the task's details.
/// </summary>
internal static class TrainingEngine
{
    public static IReadOnlyList<EpochRecord> Train(TrainingSetup setup)
    {
        var (network, task, data, options, seed, _, _, imageLayout, hooks) = setup;
        using var optimizer = CreateOptimizer(network, options, setup.LayerGroups);
        using var classWeights = ClassWeights(setup);
        var batchesPerPass = (data.Train.Count + options.BatchSize - 1) / options.BatchSize;
        var passesPerEpoch = (int)Math.Max(1, (options.MinimumStepsPerEpoch + batchesPerPass - 1) / Math.Max(batchesPerPass, 1));
        var context = new TrainingContext(network, optimizer, options.NumberOfEpochs, batchesPerPass * passesPerEpoch, options.LearningRate,
            task.HigherMetricIsBetter, data.Validation is not null, hooks.CancellationToken, seed,
            setup.LayerGroups?.Select(g => g.LearningRateMultiplier).ToArray(), task.MetricName)
        {
            PassesPerEpoch = passesPerEpoch,
        };
        if (options.LabelSmoothing > 0 && !task.IsClassification)
            throw new ArgumentException("Option LabelSmoothing applies to classification; set it to 0 for regression.");
        var callbacks = Callbacks(options, hooks, imageLayout, setup.LayerGroups);
        var checkpoints = options.CheckpointFolder is null ? null : new CheckpointStore(options.CheckpointFolder);

        foreach (var callback in callbacks)
            callback.OnTrainingBegin(context);
        if (options.ResumeFromCheckpoint && checkpoints is { Exists: true })
            checkpoints.Restore(context, setup.NetworkJson, callbacks);

        while (context.Epoch < options.NumberOfEpochs && !context.StopRequested)
        {
            context.Epoch++;
            foreach (var callback in callbacks)
                callback.OnEpochBegin(context);
            var watch = Stopwatch.StartNew();
            var (trainLoss, dataSeconds) = TrainEpoch(context, setup, classWeights, callbacks);
            foreach (var callback in callbacks)
                callback.OnEpochTrainingEnd(context);
            var validation = data.Validation is null ? default((double, double)?) : Evaluate(network, task, data.Validation, classWeights, context.Epoch);
            var record = new EpochRecord
            {
                Epoch = context.Epoch,
                TrainLoss = trainLoss,
                ValidationLoss = validation?.Item1,
                ValidationMetric = validation?.Item2,
                MetricName = task.MetricName,
                LearningRate = context.LearningRate,
                Seconds = watch.Elapsed.TotalSeconds,
                DataSeconds = dataSeconds,
            };
            context.Add(record);
            foreach (var callback in callbacks)
                callback.OnEpochEnd(context, record);
            checkpoints?.Save(context, setup.Seed, setup.NetworkJson, callbacks);
        }

        foreach (var callback in callbacks)
        {
            callback.OnTrainingEnd(context);
            (callback as ImageAugmenter)?.Dispose();
        }
        network.eval();
        return context.History;
    }

    private static (double Loss, double DataSeconds) TrainEpoch(TrainingContext context, TrainingSetup setup, Tensor? classWeights, IReadOnlyList<TrainingCallback> callbacks)
    {
        var (network, task, data, options, _, _, _, _, hooks) = setup;
        network.train();
        double lossSum = 0, weightSum = 0;
        var dataWatch = new Stopwatch();
        var batchIndex = 0;
        // Pass p of epoch e is shuffled as pass number (e − 1) · passes + p, so one pass per epoch shuffles as it always did.
        var passes = Enumerable.Range(1, context.PassesPerEpoch).SelectMany(pass => data.Train.Batches((context.Epoch - 1) * context.PassesPerEpoch + pass, shuffle: true));
        using var batches = passes.GetEnumerator();
        while (true)
        {
            using var scope = NewDisposeScope();
            dataWatch.Start();
            var more = batches.MoveNext();
            dataWatch.Stop();
            if (!more)
                break;
            hooks.CancellationToken.ThrowIfCancellationRequested();
            var batch = batches.Current;
            batchIndex++;
            foreach (var callback in callbacks)
                callback.OnBatchBegin(context);
            var features = batch.Features;
            foreach (var callback in callbacks)
                features = callback.OnTrainingBatch(context, features);
            context.Optimizer.zero_grad();
            var output = network.forward(features);
            var weights = SampleWeights(batch, classWeights);
            var objectiveBatch = new ObjectiveBatch(context, features, output, batch.Targets, weights, batch.Rows);
            var loss = context.Objective.Loss(objectiveBatch, () => task.Losses(output, batch.Targets, options.LabelSmoothing));
            var lossValue = loss.item<float>();
            if (!float.IsFinite(lossValue))
                throw new TrainingDivergedException(
                    $"Training diverged: the loss became {lossValue} at epoch {context.Epoch}, batch {batchIndex} (learning rate {context.LearningRate:G3}). " +
                    "Lower LearningRate, set GradientClipNorm, or check the data's scale (NormalizeFeatures).");
            loss.backward();
            foreach (var callback in callbacks)
                callback.OnAfterBackward(context);
            context.Optimizer.step();
            foreach (var callback in callbacks)
                callback.OnAfterStep(context);
            context.Step++;
            var batchWeight = weights is null ? batch.Size : weights.sum().item<float>();
            lossSum += lossValue * batchWeight;
            weightSum += batchWeight;
            foreach (var callback in callbacks)
                callback.OnBatchEnd(context, lossValue);
        }
        return (weightSum > 0 ? lossSum / weightSum : 0, dataWatch.Elapsed.TotalSeconds);
    }

    /// <summary>Validation loss (weighted like training) and the task's metric over a whole data set, in inference mode.</summary>
    private static (double Loss, double Metric) Evaluate(nn.Module<Tensor, Tensor> network, PredictionTask task, IBatchSource source, Tensor? classWeights, int epoch)
    {
        network.eval();
        using var noGrad = no_grad();
        double lossSum = 0, lossWeight = 0, metricSum = 0, metricWeight = 0;
        using var batches = source.Batches(epoch, shuffle: false).GetEnumerator();
        while (true)
        {
            using var scope = NewDisposeScope();
            if (!batches.MoveNext())
                break;
            var batch = batches.Current;
            var output = network.forward(batch.Features);
            var losses = task.Losses(output, batch.Targets);
            var weights = SampleWeights(batch, classWeights);
            lossSum += (weights is null ? losses.sum() : losses.mul(weights).sum()).item<float>();
            lossWeight += weights is null ? batch.Size : weights.sum().item<float>();
            // The metric counts examples by their example weights, but not by class weights: accuracy stays accuracy.
            var terms = task.MetricTerms(output, batch.Targets);
            metricSum += (batch.Weights is null ? terms.sum() : terms.mul(batch.Weights).sum()).item<float>();
            metricWeight += batch.Weights is null ? batch.Size : batch.Weights.sum().item<float>();
        }
        return (lossWeight > 0 ? lossSum / lossWeight : 0, task.FinishMetric(metricWeight > 0 ? metricSum / metricWeight : 0));
    }

    private static Tensor? SampleWeights(Batch batch, Tensor? classWeights)
    {
        if (classWeights is null)
            return batch.Weights;
        var perClass = classWeights.index_select(0, batch.Targets.to(ScalarType.Int64));
        return batch.Weights is null ? perClass : perClass.mul(batch.Weights);
    }

    private static Tensor? ClassWeights(TrainingSetup setup)
    {
        var (_, task, data, options, _, device, _, _, _) = setup;
        if (!task.IsClassification || (options.ClassWeights is null && !options.BalanceClasses))
            return null;
        float[] weights;
        if (options.ClassWeights is { } given)
        {
            if (given.Count != data.ClassCount)
                throw new ArgumentOutOfRangeException(nameof(options.ClassWeights),
                    $"Option ClassWeights has {given.Count} values but the label has {data.ClassCount} classes.");
            weights = given.ToArray();
        }
        else
        {
            // Inverse frequency, scaled so a balanced data set gets weight 1 everywhere (scikit-learn's "balanced").
            var counts = new double[data.ClassCount];
            foreach (var target in data.TrainTargets)
                counts[(int)target]++;
            weights = counts.Select(c => c > 0 ? (float)(data.TrainTargets.Length / (data.ClassCount * c)) : 0f).ToArray();
        }
        return tensor(weights, device: device);
    }

    private static List<TrainingCallback> Callbacks(DeepTrainerOptions options, TrainingHooks hooks, ImageLayout? imageLayout, IReadOnlyList<LayerGroup>? layerGroups)
    {
        var callbacks = new List<TrainingCallback>();
        if (layerGroups is not null && layerGroups.Any(g => g.TrainableFromEpoch > 1))
            callbacks.Add(new LayerFreezer(layerGroups));
        if (options.Augmentation is { } augmentation)
            callbacks.Add(new ImageAugmenter(augmentation, imageLayout
                ?? throw new ArgumentException("Option Augmentation needs image input: use an image trainer (e.g. ConvolutionalNetwork).")));
        if (options.LearningRateSchedule is { } schedule)
            callbacks.Add(schedule.CreateScheduler());
        if (options.GradientClipNorm is { } maxNorm)
            callbacks.Add(new GradientClipping(maxNorm));
        if (options.WeightAveragingDecay is { } decay)
            callbacks.Add(new WeightAverager(decay));
        if (options.EarlyStopping is { } early)
            callbacks.Add(new EarlyStopping(early));
        callbacks.AddRange(hooks.Callbacks);
        if (hooks.Progress is { } progress)
            callbacks.Add(new ProgressReporter(progress));
        var duplicate = callbacks.GroupBy(c => c.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new ArgumentException($"Two callbacks are named '{duplicate.Key}'; give each a distinct Name so checkpoints can tell them apart.");
        return callbacks;
    }

    /// <summary>One parameter group per layer group (each at the learning rate times its multiplier), or one for the whole network.</summary>
    private static optim.Optimizer CreateOptimizer(nn.Module network, DeepTrainerOptions options, IReadOnlyList<LayerGroup>? layerGroups)
    {
        var partition = layerGroups is null ? [network.parameters().ToList()] : LayerGroup.Partition(network, layerGroups);
        var rates = layerGroups is null ? [options.LearningRate] : layerGroups.Select(g => options.LearningRate * g.LearningRateMultiplier).ToArray();
        var (lr, beta1, beta2, decay) = (options.LearningRate, options.Beta1, options.Beta2, options.WeightDecay);
        return options.Optimizer switch
        {
            OptimizerKind.Sgd => optim.SGD(partition.Select((p, i) => new TorchSharp.Modules.SGD.ParamGroup(p, rates[i], options.Momentum, 0, decay, options.Nesterov)), lr, options.Momentum, 0, decay, options.Nesterov),
            OptimizerKind.Adam => optim.Adam(partition.Select((p, i) => new TorchSharp.Modules.Adam.ParamGroup(p, rates[i], beta1, beta2, 1e-8, decay)), lr, beta1, beta2, 1e-8, decay),
            OptimizerKind.AdamW => optim.AdamW(partition.Select((p, i) => new TorchSharp.Modules.AdamW.ParamGroup(p, rates[i], beta1, beta2, 1e-8, decay)), lr, beta1, beta2, 1e-8, decay),
            _ => throw new ArgumentOutOfRangeException(nameof(options.Optimizer), options.Optimizer, "Unknown optimizer."),
        };
    }
}
