using System.Text.Json.Nodes;

namespace MlNetDeep.Registry.Tests;

[TestClass]
public sealed class HyperparameterJsonTests
{
    public abstract class Schedule
    {
        public abstract string Describe();
    }

    public sealed class CosineSchedule : Schedule
    {
        public double WarmupEpochs { get; set; } = 2;

        public override string Describe() => "cosine";
    }

    public enum Optimizer { Sgd, Adam }

    public class TrainerOptions
    {
        public double LearningRate { get; set; } = 1e-3;

        public Optimizer Optimizer { get; set; } = Optimizer.Adam;

        public int[] HiddenLayerSizes { get; set; } = [256, 128];

        public Schedule? LearningRateSchedule { get; set; } = new CosineSchedule();

        public double? GradientClipNorm { get; set; } = double.NaN;

        public IProgress<int>? Progress { get; set; } = new Progress<int>();

        public Action<int>? OnEpoch { get; set; } = _ => { };

        public CancellationToken CancellationToken { get; set; } = new CancellationTokenSource().Token;
    }

    public sealed class ImageTrainerOptions : TrainerOptions
    {
        public int Channels { get; set; } = 3;
    }

    [TestMethod]
    public void AnOptionsObjectKeepsItsSettingsAndLeavesOutCallbacksProgressAndCancellation()
    {
        var json = HyperparameterJson.From(new TrainerOptions());

        Assert.AreEqual(0.001, json["LearningRate"]!.GetValue<double>());
        Assert.AreEqual("Adam", json["Optimizer"]!.GetValue<string>());
        Assert.AreEqual("[256,128]", json["HiddenLayerSizes"]!.ToJsonString());
        Assert.AreEqual("NaN", json["GradientClipNorm"]!.GetValue<string>());
        Assert.IsFalse(json.ContainsKey("Progress") || json.ContainsKey("OnEpoch") || json.ContainsKey("CancellationToken"));
    }

    [TestMethod]
    public void AMemberDeclaredAbstractIsWrittenAsTheObjectItHoldsWithItsTypeName()
    {
        var json = HyperparameterJson.From(new ImageTrainerOptions());

        Assert.AreEqual("ImageTrainerOptions", json["$type"]!.GetValue<string>());
        Assert.AreEqual(3, json["Channels"]!.GetValue<int>());
        Assert.AreEqual("CosineSchedule", json["LearningRateSchedule"]!["$type"]!.GetValue<string>());
        Assert.AreEqual(2, json["LearningRateSchedule"]!["WarmupEpochs"]!.GetValue<double>());
    }

    [TestMethod]
    public void AJsonObjectIsTakenAsItIs()
    {
        var given = new JsonObject { ["epochs"] = 3 };

        Assert.AreSame(given, HyperparameterJson.From(given));
    }

    [TestMethod]
    public void AValueThatIsNotAnObjectIsRefusedWithItsKind()
    {
        var error = Assert.ThrowsExactly<ArgumentException>(() => HyperparameterJson.From(new[] { 1, 2 }));

        StringAssert.Contains(error.Message, "must be a JSON object");
        StringAssert.Contains(error.Message, "Array");
    }
}
