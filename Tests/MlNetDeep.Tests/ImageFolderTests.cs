using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetDeep.Tests;

[TestClass]
public sealed class ImageFolderTests
{
    [TestMethod]
    public void AFolderPerClassGivesOneRowPerImageLabelledWithItsFolder()
    {
        using var folder = new TemporaryFolder();
        foreach (var (label, file) in new[] { ("cat", "b.png"), ("cat", "a.jpg"), ("dog", "c.JPEG"), ("dog", "notes.txt") })
        {
            Directory.CreateDirectory(Path.Combine(folder.Path, label));
            File.WriteAllText(Path.Combine(folder.Path, label, file), "");
        }
        var ml = new MLContext(seed: 1);

        var rows = ml.Data.LoadImageFolder(folder.Path);

        CollectionAssert.AreEqual(new[] { "cat", "cat", "dog" }, rows.GetColumn<string>("Label").ToArray());
        CollectionAssert.AreEqual(new[] { "a.jpg", "b.png", "c.JPEG" }, rows.GetColumn<string>("ImagePath").Select(Path.GetFileName).ToArray());
    }

    [TestMethod]
    public void AFolderWithoutClassFoldersIsRejectedWithTheLayoutItNeeds()
    {
        using var folder = new TemporaryFolder();
        File.WriteAllText(folder.File("loose.jpg"), "");

        var error = Assert.ThrowsExactly<InvalidDataException>(() => new MLContext().Data.LoadImageFolder(folder.Path));

        StringAssert.Contains(error.Message, folder.Path);
        StringAssert.Contains(error.Message, "one subfolder per class");
    }
}
