using static TorchSharp.torch;

namespace MlNetDeep.SelfSupervised.Tests;

[TestClass]
public sealed class ContrastiveViewsTests
{
    [TestMethod]
    public void TwoImageViewsOfTheSameImagesDifferFromEachOtherAndFromTheImages()
    {
        using var views = new ImageViews(new ContrastivePretrainingOptions(), new ImageShape(1, 8, 8), PixelLayout.ChannelsFirst);
        using var scope = NewDisposeScope();
        manual_seed(3);
        var images = rand(4, 64);
        var first = views.FirstView(images);
        var second = views.SecondView(images);
        CollectionAssert.AreEqual(new long[] { 4, 64 }, first.shape);
        Assert.IsGreaterThan(1e-3f, first.sub(second).abs().mean().item<float>());
        Assert.IsGreaterThan(1e-3f, first.sub(images).abs().mean().item<float>());
    }

    [TestMethod]
    public void CorruptedViewsReplaceFeaturesWithTheSameFeatureOfOtherRows()
    {
        using var views = new CorruptedFeatureViews(new ContrastivePretrainingOptions { CorruptionRate = 0.6 });
        using var scope = NewDisposeScope();
        // Feature j of row i is 100 j + i, so a replaced value shows which row and feature it came from.
        var rows = arange(32, dtype: ScalarType.Float32).reshape(32, 1).add(arange(50, dtype: ScalarType.Float32).mul(100).reshape(1, 50));
        var corrupted = views.SecondView(rows);
        Assert.IsTrue(views.FirstView(rows).eq(rows).all().item<bool>(), "the first view is the row itself");
        var changed = corrupted.ne(rows).to(ScalarType.Float32).mean().item<float>();
        Assert.IsTrue(changed is > 0.45f and < 0.7f, $"fraction replaced {changed}");
        Assert.IsTrue(corrupted.div(100).floor().eq(rows.div(100).floor()).all().item<bool>(), "replacements come from the same feature");
    }
}
