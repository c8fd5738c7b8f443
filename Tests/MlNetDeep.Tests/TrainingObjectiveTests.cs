using Microsoft.ML;
using Microsoft.ML.Data;
using static TorchSharp.torch;

namespace MlNetDeep.Tests;

/// <summary>The objective seam: callbacks add terms to what the optimizer minimizes, and constrain weights after every step.</summary>
[TestClass]
public sealed class TrainingObjectiveTests
{
    private static FeedForwardOptions Options(int epochs = 5) => new()
    {
        NumberOfEpochs = epochs, Seed = 7, HiddenLayerSizes = [16], DropoutRate = 0, EarlyStopping = null, LearningRateSchedule = null, ValidationFraction = 0,
    };

    private static double WeightNorm(TrainedNetwork network) =>
        Math.Sqrt(network.Weights.Where(w => w.Key.EndsWith(".weight", StringComparison.Ordinal)).Sum(w => w.Value.Values.Sum(v => (double)v * v)));

    [TestMethod]
    public void AnAddedTermChangesWhatTheOptimizerMinimizes()
    {
        var ml = new MLContext(seed: 1);
        var data = TestData.KeyedBlobs(ml, 300, seed: 2);

        var options = Options(10);
        options.LearningRate = 0.01;

        var plain = ml.MulticlassClassification.Trainers.FeedForward(options).Fit(data);
        var penalized = ml.MulticlassClassification.Trainers.FeedForward(options).WithCallbacks(new AddTerm(new SquaredWeights(), 0.1)).Fit(data);

        Assert.IsLessThan(0.8 * WeightNorm(plain.Network), WeightNorm(penalized.Network), "the penalty shrank the weights");
        Assert.IsGreaterThan(plain.History[^1].TrainLoss, penalized.History[^1].TrainLoss, "the reported loss includes the term");
    }

    [TestMethod]
    [DataRow(DataLoadingMode.CacheAsTensors)]
    [DataRow(DataLoadingMode.Streaming)]
    public void ATermThatLooksUpRowsByPositionCanReplaceTheTaskLoss(DataLoadingMode loading)
    {
        var ml = new MLContext(seed: 1);
        var data = TestData.KeyedBlobs(ml, 400, seed: 2);
        // A "teacher" table indexed by row position, computed before Fit: each training row's class.
        var classes = data.GetColumn<uint>("Label").Select(k => (long)k - 1).ToArray();
        var options = Options(4);
        options.DataLoading = loading;
        options.ValidationFraction = 0.25;
        var lookup = new RowTableCrossEntropy(classes);

        var withTaskLoss = ml.MulticlassClassification.Trainers.FeedForward(options).Fit(data);
        var withLookup = ml.MulticlassClassification.Trainers.FeedForward(options).WithCallbacks(new AddTerm(lookup, 1, taskLossWeight: 0)).Fit(data);

        Assert.HasCount(300, lookup.RowsSeenInFirstEpoch, "every training row once per epoch");
        Assert.IsTrue(lookup.RowsSeenInFirstEpoch.All(r => r is >= 0 and < 400), "positions in the training data");
        CollectionAssert.AreEqual(withTaskLoss.History.Select(r => (r.TrainLoss, r.ValidationLoss)).ToArray(), withLookup.History.Select(r => (r.TrainLoss, r.ValidationLoss)).ToArray(),
            "cross-entropy against the looked-up classes is the task's own loss, so the positions matched the rows");
    }

    [TestMethod]
    public void AConstraintAppliedAfterEachStepHoldsBeforeAnyOtherCallbackSeesTheWeights()
    {
        var ml = new MLContext(seed: 1);
        var options = Options(3);
        // Weight averaging reads the weights in OnBatchEnd: its average keeps the zeros only if the mask came first.
        options.WeightAveragingDecay = 0.9;
        var mask = new ZeroFirstInputWeights();

        var model = ml.MulticlassClassification.Trainers.FeedForward(options).WithCallbacks(mask).Fit(TestData.KeyedBlobs(ml, 200, seed: 2));

        // Masked before the average is updated, a masked weight's average only decays from its initial value, step after step.
        var decay = Enumerable.Range(0, mask.Steps).Aggregate(1.0, (product, n) => product * Math.Min(0.9, (1.0 + n) / (10.0 + n)));
        var firstLayer = model.Network.Weights.First(w => w.Key.EndsWith(".weight", StringComparison.Ordinal) && w.Value.Shape.Length == 2).Value;
        var columns = firstLayer.Shape[1];
        Assert.IsGreaterThan(10, mask.Steps);
        for (var row = 0; row < firstLayer.Shape[0]; row++)
            Assert.AreEqual(mask.Initial[row] * decay, firstLayer.Values[row * columns], 1e-12 + 1e-5 * Math.Abs(mask.Initial[row] * decay), $"row {row}");
    }

    [TestMethod]
    public void ATermOfTheWrongShapeIsAnErrorNamingIt()
    {
        var ml = new MLContext(seed: 1);

        var error = Assert.ThrowsExactly<InvalidOperationException>(() =>
            ml.MulticlassClassification.Trainers.FeedForward(Options(1)).WithCallbacks(new AddTerm(new OutputsAsTheyAre(), 1)).Fit(TestData.KeyedBlobs(ml, 50, seed: 2)));

        StringAssert.Contains(error.Message, "OutputsAsTheyAre");
        StringAssert.Contains(error.Message, "one value per example");
    }

    [TestMethod]
    public void AnObjectiveWithNothingInItIsAnError()
    {
        var ml = new MLContext(seed: 1);

        var error = Assert.ThrowsExactly<InvalidOperationException>(() =>
            ml.MulticlassClassification.Trainers.FeedForward(Options(1)).WithCallbacks(new AddTerm(null, 0, taskLossWeight: 0)).Fit(TestData.KeyedBlobs(ml, 50, seed: 2)));

        StringAssert.Contains(error.Message, "objective is empty");
    }

    private sealed class AddTerm(ObjectiveTerm? term, double weight, double taskLossWeight = 1) : TrainingCallback
    {
        public override void OnTrainingBegin(TrainingContext context)
        {
            context.Objective.TaskLossWeight = taskLossWeight;
            if (term is not null)
                context.Objective.Add(term, weight);
        }
    }

    private sealed class SquaredWeights : ObjectiveTerm
    {
        public override Tensor Compute(ObjectiveBatch batch) =>
            batch.Context.Network.named_parameters().Where(p => p.name.EndsWith("weight", StringComparison.Ordinal)).Select(p => p.parameter.square().sum()).Aggregate((a, b) => a + b);
    }

    private sealed class RowTableCrossEntropy(long[] classOfRow) : ObjectiveTerm
    {
        private readonly Tensor table = tensor(classOfRow);

        public HashSet<long> RowsSeenInFirstEpoch { get; } = [];

        public override Tensor Compute(ObjectiveBatch batch)
        {
            if (batch.Context.Epoch == 1)
                RowsSeenInFirstEpoch.UnionWith(batch.Rows.data<long>().ToArray());
            return nn.functional.cross_entropy(batch.Outputs, table.index_select(0, batch.Rows), reduction: nn.Reduction.None);
        }
    }

    private sealed class OutputsAsTheyAre : ObjectiveTerm
    {
        public override Tensor Compute(ObjectiveBatch batch) => batch.Outputs;
    }

    private sealed class ZeroFirstInputWeights : TrainingCallback
    {
        public int Steps { get; private set; }

        public float[] Initial { get; private set; } = [];

        public override void OnTrainingBegin(TrainingContext context) => Initial = FirstLayer(context)[TensorIndex.Colon, 0].data<float>().ToArray();

        private static Tensor FirstLayer(TrainingContext context) => context.Network.named_parameters().First(p => p.parameter.dim() == 2).parameter;

        public override void OnAfterStep(TrainingContext context)
        {
            Steps++;
            using var noGrad = no_grad();
            FirstLayer(context)[TensorIndex.Colon, 0].zero_();
        }
    }
}
