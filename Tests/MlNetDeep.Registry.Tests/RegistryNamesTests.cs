namespace MlNetDeep.Registry.Tests;

[TestClass]
public sealed class RegistryNamesTests
{
    [TestMethod]
    [DataRow("../secrets")]
    [DataRow("a/b")]
    [DataRow("a\\b")]
    [DataRow("")]
    [DataRow(".hidden")]
    [DataRow("a..b")]
    [DataRow("name@1")]
    public void ModelNamesThatCouldNameAPathOrAVersionAreRefused(string name) =>
        Assert.ThrowsExactly<ArgumentException>(() => RegistryNames.ValidateModelName(name));

    [TestMethod]
    public void TheLatestAliasIsReserved()
    {
        var error = Assert.ThrowsExactly<ArgumentException>(() => RegistryNames.ValidateAlias("latest"));

        StringAssert.Contains(error.Message, "reserved");
    }

    [TestMethod]
    [DataRow("3", 3, null)]
    [DataRow("v12", 12, null)]
    [DataRow("production", null, "production")]
    [DataRow("latest", null, null)]
    public void ASelectorReadsANumberAnAliasOrLatest(string text, int? number, string? alias)
    {
        var selector = VersionSelector.Parse(text);

        Assert.AreEqual((number, alias), (selector.Number, selector.Alias));
    }

    [TestMethod]
    public void AReferenceSplitsIntoModelAndSelector()
    {
        var (model, selector) = VersionSelector.ParseReference("fashion-cnn@staging");

        Assert.AreEqual(("fashion-cnn", "staging"), (model, selector.Alias));
        Assert.IsTrue(VersionSelector.ParseReference("fashion-cnn").Selector.IsLatest);
    }
}
