using static TorchSharp.torch;

namespace MlNetDeep.SelfSupervised.Tests;

[TestClass]
public sealed class NtXentLossTests
{
    [TestMethod]
    public void NtXentOfIdenticalPositivesAndOrthogonalNegativesIsTheHandComputedValue()
    {
        // Rows 0, 1 are view 1 of two rows, rows 2, 3 view 2. Each anchor's positive has similarity 1, its two negatives 0:
        // loss = -log(e^(1/τ) / (e^(1/τ) + 2)) = log(1 + 2e^(-1/τ)); τ = 0.5 → log(1 + 2e^-2).
        using var projections = tensor(new float[] { 3, 0, 0, 2, 1, 0, 0, 5 }, [4, 2]);
        using var loss = NtXentLoss.Loss(projections, 0.5);
        Assert.AreEqual(Math.Log(1 + 2 * Math.Exp(-2)), loss.item<float>(), 1e-5);
    }

    [TestMethod]
    public void NtXentIsLowerWhenPositivesAgreeThanWhenANegativeIsCloser()
    {
        using var aligned = tensor(new float[] { 1, 0, 0, 1, 1, 0, 0, 1 }, [4, 2]);
        using var crossed = tensor(new float[] { 1, 0, 0, 1, 0, 1, 1, 0 }, [4, 2]);
        using var good = NtXentLoss.Loss(aligned, 0.5);
        using var bad = NtXentLoss.Loss(crossed, 0.5);
        Assert.IsLessThan(bad.item<float>(), good.item<float>());
    }

    [TestMethod]
    public void ATemperatureOfZeroIsRejected() =>
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new NtXentLoss(0));
}
