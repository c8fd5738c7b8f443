using Microsoft.ML;
using Microsoft.ML.Data;
using static TorchSharp.torch;

namespace MlNetDeep.Compression.Tests;

/// <summary>Knowledge distillation: a student learns from any fitted ML.NET model's scores and carries nothing of it.</summary>
[TestClass]
public sealed class DistillationTests
{
    private static FeedForwardOptions Student(int epochs = 6) => UnstructuredPruningTests.Options(epochs, hidden: [32]);

    [TestMethod]
    public void AStudentDistilledWithoutLabelsFollowsALightGbmTeacherEvenWhereItDisagreesWithTheLabels()
    {
        var ml = new MLContext(seed: 1);
        var data = TestData.Blobs(ml, 300, seed: 2, spread: 0.5);
        var teacher = ml.MulticlassClassification.Trainers.LightGbm(numberOfIterations: 20).Fit(TestData.Blobs(ml, 300, seed: 2, spread: 0.5, rotateLabels: true));

        var options = Student(epochs: 10);
        options.LearningRate = 0.01;
        var student = ml.MulticlassClassification.Trainers.Distill(ml.MulticlassClassification.Trainers.FeedForward(options), teacher,
            new DistillationOptions { Alpha = 1, Temperature = 2 }).Fit(data);

        var predicted = student.Transform(data).GetColumn<uint>("PredictedLabel").ToArray();
        var taught = teacher.Transform(data).GetColumn<uint>("PredictedLabel").ToArray();
        var labels = data.GetColumn<uint>("Label").ToArray();
        Assert.IsGreaterThan(0.95, predicted.Zip(taught).Average(p => p.First == p.Second ? 1.0 : 0), "agrees with the teacher");
        Assert.IsLessThan(0.05, predicted.Zip(labels).Average(p => p.First == p.Second ? 1.0 : 0), "the teacher's classes were rotated, and the student learnt them");
    }

    [TestMethod]
    public void TheStudentsModelZipHoldsNothingOfTheTeacherAndScoresInAFreshProcess()
    {
        var ml = new MLContext(seed: 1);
        var data = TestData.Blobs(ml, 200, seed: 2);
        var teacher = ml.MulticlassClassification.Trainers.LightGbm(numberOfIterations: 200, numberOfLeaves: 31).Fit(data);
        var alone = ml.MulticlassClassification.Trainers.FeedForward(Student(epochs: 2)).Fit(data);

        var distilled = ml.MulticlassClassification.Trainers.Distill(ml.MulticlassClassification.Trainers.FeedForward(Student(epochs: 2)), teacher).Fit(data);

        using var folder = new TemporaryFolder();
        FreshProcess.AssertAgrees(ml, distilled, data, "multiclass", folder.File("scored.zip"));
        ml.Model.Save(distilled, data.Schema, folder.File("student.zip"));
        ml.Model.Save(alone, data.Schema, folder.File("alone.zip"));
        ml.Model.Save(teacher, data.Schema, folder.File("teacher.zip"));
        var (student, same, teacherSize) = (new FileInfo(folder.File("student.zip")).Length, new FileInfo(folder.File("alone.zip")).Length, new FileInfo(folder.File("teacher.zip")).Length);
        Assert.AreEqual(same, student, same / 50.0, "as large as the same student trained alone");
        Assert.IsGreaterThan(student, teacherSize, "the teacher is the larger model");
        using var archive = System.IO.Compression.ZipFile.OpenRead(folder.File("student.zip"));
        Assert.IsFalse(archive.Entries.Any(e => e.FullName.Contains("LightGbm", StringComparison.OrdinalIgnoreCase) || e.FullName.Contains("Tree", StringComparison.OrdinalIgnoreCase)));
    }

    [TestMethod]
    public void ARegressionStudentFollowsItsTeachersPredictions()
    {
        var ml = new MLContext(seed: 1);
        var data = TestData.Smooth(ml, 400, seed: 2);
        // A teacher that predicts the negated target: a student that follows it cannot have learnt from the labels.
        var negated = ml.Transforms.CustomMapping<RegressionRow, NegatedLabel>((row, output) => output.Negated = -row.Label, null).Fit(data).Transform(data);
        var teacher = ml.Regression.Trainers.FastTree(labelColumnName: "Negated", numberOfTrees: 100).Fit(negated);
        var options = Student(epochs: 30);
        options.LearningRate = 0.01;

        var student = ml.Regression.Trainers.Distill(ml.Regression.Trainers.FeedForward(options), teacher, new DistillationOptions { Alpha = 1 }).Fit(data);

        var predictions = student.Transform(data).GetColumn<float>("Score").ToArray();
        var teacherPredictions = teacher.Transform(data).GetColumn<float>("Score").ToArray();
        var labels = data.GetColumn<float>("Label").ToArray();
        double Rmse(float[] a, float[] b) => Math.Sqrt(a.Zip(b).Average(p => (p.First - p.Second) * (p.First - p.Second)));
        Assert.IsLessThan(0.3 * Rmse(labels, teacherPredictions), Rmse(predictions, teacherPredictions));
    }

    [TestMethod]
    public void OnTheFlyTeacherOutputsEqualCachedOnesWhenTheFeaturesAreNotAugmented()
    {
        var ml = new MLContext(seed: 1);
        var data = TestData.Blobs(ml, 200, seed: 2);
        var networkTeacher = ml.MulticlassClassification.Trainers.FeedForward(Student(epochs: 2)).Fit(data);
        var lightGbmTeacher = ml.MulticlassClassification.Trainers.LightGbm(numberOfIterations: 10).Fit(data);

        foreach (ITransformer teacher in new ITransformer[] { networkTeacher, lightGbmTeacher })
        {
            double[] Losses(TeacherOutputs outputs) => ml.MulticlassClassification.Trainers
                .Distill(ml.MulticlassClassification.Trainers.FeedForward(Student(epochs: 2)), teacher, new DistillationOptions { TeacherOutputs = outputs })
                .Fit(data).History.Select(r => r.TrainLoss).ToArray();

            var (cached, onTheFly) = (Losses(TeacherOutputs.Cached), Losses(TeacherOutputs.OnTheFly));
            for (var epoch = 0; epoch < cached.Length; epoch++)
                Assert.AreEqual(cached[epoch], onTheFly[epoch], 1e-5 * Math.Abs(cached[epoch]), $"{teacher.GetType().Name}, epoch {epoch + 1}");
        }
    }

    [TestMethod]
    public void AnOnTheFlyTeacherScoresTheAugmentedImagesTheStudentSees()
    {
        var ml = new MLContext(seed: 1);
        var data = TestData.Bars(ml, 90, seed: 1);
        var options = new ConvolutionalNetworkOptions
        {
            NumberOfEpochs = 1, Seed = 3, BatchSize = 16, HiddenLayerSizes = [8], EarlyStopping = null, ValidationFraction = 0, Blocks = [new(4)],
        };
        var teacher = ml.MulticlassClassification.Trainers.ConvolutionalNetwork(options).Fit(data);
        options.Augmentation = new ImageAugmentation { VerticalFlipProbability = 1 };
        var probe = new DistillationProbe();

        ml.MulticlassClassification.Trainers.Distill(ml.MulticlassClassification.Trainers.ConvolutionalNetwork(options).WithCallbacks(probe), teacher,
            new DistillationOptions { TeacherOutputs = TeacherOutputs.OnTheFly, Alpha = 1 }).Fit(data);

        // With α = 1 the loss is the distillation term alone: recompute it from the teacher's outputs on the flipped images.
        Assert.AreEqual(probe.Expected(teacher.Network), probe.FirstLoss, 1e-5);
    }

    [TestMethod]
    public void TheDistillationTermIsTemperatureSquaredTimesTheKullbackLeiblerDivergence()
    {
        float[] student = [1f, 0f, -1f], teacher = [0.2f, 0.5f, 0.3f];
        const double t = 3;

        var term = DistillationProbe.Term(student, teacher, t);

        var soft = teacher.Select(p => Math.Pow(p, 1 / t)).ToArray();
        var q = soft.Select(v => v / soft.Sum()).ToArray();
        var z = student.Select(v => Math.Exp(v / t)).ToArray();
        var s = z.Select(v => v / z.Sum()).ToArray();
        Assert.AreEqual(t * t * q.Select((qi, i) => qi * Math.Log(qi / s[i])).Sum(), term, 1e-5);
    }

    private sealed class NegatedLabel
    {
        public float Negated { get; set; }
    }

    /// <summary>Captures the first batch's augmented features and the loss over it, to recompute the distillation term.</summary>
    private sealed class DistillationProbe : TrainingCallback
    {
        private float[][]? features;
        private float[][]? outputs;

        public double FirstLoss { get; private set; } = double.NaN;

        public override void OnTrainingBegin(TrainingContext context) => context.Objective.Add(new Capture(this), 0);

        public override void OnBatchEnd(TrainingContext context, double loss)
        {
            if (double.IsNaN(FirstLoss))
                FirstLoss = loss;
        }

        public double Expected(TrainedNetwork teacher)
        {
            var logits = Networks.Outputs(teacher, features!);
            return Enumerable.Range(0, features!.Length).Average(i => Term(outputs![i], logits[i], 4, probabilities: false));
        }

        public static double Term(float[] student, float[] teacher, double temperature, bool probabilities = true)
        {
            using var teacherRow = tensor(teacher).unsqueeze(0);
            using var logits = probabilities ? teacherRow.log() : teacherRow.clone();
            using var studentRow = tensor(student).unsqueeze(0);
            using var network = nn.Linear(1, 1);
            using var optimizer = optim.SGD(network.parameters(), 0.1);
            var context = new TrainingContext(network, optimizer, 1, 1, 0.1, true, false, CancellationToken.None);
            new KnowledgeDistillation(new FixedTeacher(logits), new DistillationOptions { Temperature = temperature, Alpha = 1 }, DistillationKind.Multiclass).OnTrainingBegin(context);
            using var rows = tensor(new long[] { 0 });
            var batch = new ObjectiveBatch(context, studentRow, studentRow, rows, null, rows);
            using var value = context.Objective.Terms[0].Term.Compute(batch);
            return value.item<float>();
        }

        private sealed class Capture(DistillationProbe probe) : ObjectiveTerm
        {
            public override Tensor Compute(ObjectiveBatch batch)
            {
                if (probe.features is null)
                {
                    probe.features = Rows(batch.Features);
                    probe.outputs = Rows(batch.Outputs.detach());
                }
                return zeros(1).sum();
            }

            private static float[][] Rows(Tensor values)
            {
                var width = (int)values.shape[1];
                var flat = values.contiguous().data<float>().ToArray();
                return Enumerable.Range(0, (int)values.shape[0]).Select(i => flat.AsSpan(i * width, width).ToArray()).ToArray();
            }
        }

        private sealed class FixedTeacher(Tensor logits) : ITeacher
        {
            public Tensor Outputs(ObjectiveBatch batch) => logits;

            public void Dispose() { }
        }
    }
}
