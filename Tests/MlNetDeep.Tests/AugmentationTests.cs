using MlNetDeep.Engine;
using MlNetDeep.Networks;
using static TorchSharp.torch;

namespace MlNetDeep.Tests;

[TestClass]
public sealed class AugmentationTests
{
    private static readonly ImageLayout Gray = new(new ImageShape(1, 8, 6), PixelLayout.ChannelsFirst);

    private static TrainingContext Context(long step = 0)
    {
        var network = nn.Linear(1, 1);
        return new TrainingContext(network, optim.SGD(network.parameters(), 0.1), 1, 1, 0.1, true, false, CancellationToken.None, seed: 5) { Step = step };
    }

    private static Tensor Augment(ImageAugmentation options, Tensor images, long step = 0, ImageLayout? layout = null)
    {
        using var augmenter = new ImageAugmenter(options, layout ?? Gray);
        return augmenter.OnTrainingBatch(Context(step), images);
    }

    [TestMethod]
    public void FlippingTwiceGivesTheImagesBack()
    {
        using var scope = NewDisposeScope();
        var images = rand(4, 48);
        var both = new ImageAugmentation { HorizontalFlipProbability = 1, VerticalFlipProbability = 1 };

        var once = Augment(both, images);
        var twice = Augment(both, once);

        Assert.IsFalse(once.eq(images).all().item<bool>(), "one flip changes the images");
        Assert.IsTrue(twice.eq(images).all().item<bool>());
        Assert.IsTrue(once.reshape(4, 8, 6).eq(images.reshape(4, 8, 6).flip(1, 2)).all().item<bool>(), "both flips rotate each image by 180°");
    }

    [TestMethod]
    public void CropsShiftWholePixelsAndKeepTheShape()
    {
        using var scope = NewDisposeScope();
        var images = rand(16, 48) + 1;
        var crop = new ImageAugmentation { CropPadding = 2 };

        var cropped = Augment(crop, images);

        CollectionAssert.AreEqual(images.shape, cropped.shape);
        var original = images.reshape(16, 8, 6);
        var result = cropped.reshape(16, 8, 6);
        for (var i = 0; i < 16; i++)
        {
            // Every cropped image is the original shifted by at most 2 pixels each way, with zeros coming in.
            var matches = Enumerable.Range(-2, 5).SelectMany(dy => Enumerable.Range(-2, 5).Select(dx => (dy, dx)))
                .Count(shift => Shifted(original[i], shift.dy, shift.dx).allclose(result[i], atol: 1e-5));
            Assert.AreEqual(1, matches, $"image {i}");
        }
    }

    [TestMethod]
    public void TheSameStepGivesTheSameTransformationsAndAnotherStepOthers()
    {
        using var scope = NewDisposeScope();
        var images = rand(8, 48);
        var all = new ImageAugmentation
        {
            HorizontalFlipProbability = 0.5, CropPadding = 1, RotationDegrees = 15, TranslationFraction = 0.1, ErasingProbability = 0.5,
        };

        var first = Augment(all, images, step: 3);
        var again = Augment(all, images, step: 3);
        var other = Augment(all, images, step: 4);

        Assert.IsTrue(first.eq(again).all().item<bool>());
        Assert.IsFalse(first.eq(other).all().item<bool>());
    }

    [TestMethod]
    public void ErasingBlanksOneRectangleOfTheChosenSize()
    {
        using var scope = NewDisposeScope();
        var images = rand(32, 48) + 1;
        var erase = new ImageAugmentation { ErasingProbability = 1, ErasingMinArea = 0.1, ErasingMaxArea = 0.25 };

        var erased = Augment(erase, images).reshape(32, 8, 6);

        for (var i = 0; i < 32; i++)
        {
            var zeros = erased[i].eq(0);
            var count = zeros.sum().item<long>();
            Assert.IsTrue(count is >= 1 and <= 48, $"image {i} erased {count} pixels");
            var rows = zeros.any(1).sum().item<long>();
            var columns = zeros.any(0).sum().item<long>();
            Assert.AreEqual(rows * columns, count, $"image {i}: the erased pixels form a rectangle");
        }
    }

    [TestMethod]
    public void ChannelsLastPixelsAreAugmentedAsImages()
    {
        using var scope = NewDisposeScope();
        var rgb = new ImageLayout(new ImageShape(3, 4, 5), PixelLayout.ChannelsLast);
        var images = rand(2, 60);

        var flipped = Augment(new ImageAugmentation { HorizontalFlipProbability = 1 }, images, layout: rgb);

        var expected = images.reshape(2, 4, 5, 3).flip(2).reshape(2, 60);
        Assert.IsTrue(flipped.eq(expected).all().item<bool>(), "each pixel's three channels move together");
        Assert.IsTrue(Augment(new ImageAugmentation(), images, layout: rgb).eq(images).all().item<bool>(), "no augmentation, no change");
    }

    private static Tensor Shifted(Tensor image, int dy, int dx)
    {
        var padded = nn.functional.pad(image.unsqueeze(0), [2, 2, 2, 2]).squeeze(0);
        return padded.narrow(0, 2 - dy, 8).narrow(1, 2 - dx, 6);
    }
}
