using TorchSharp;
using static TorchSharp.torch;

namespace MlNetDeep;

/// <summary>
/// The VAE as one module for the engine: pixels <c>[B, F]</c> → <c>[B, F + 2L]</c>, the reconstruction's logits followed
/// by the latent mean and log-variance (so the objective term sees all three). It samples the latent in training mode and
/// takes the mean in inference mode.
/// </summary>
internal sealed class VariationalAutoencoderNetwork : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> encoder;
    private readonly nn.Module<Tensor, Tensor> mean;
    private readonly nn.Module<Tensor, Tensor> logVariance;

    public VariationalAutoencoderNetwork(long pixels, IReadOnlyList<int> hidden, int latent) : base("VariationalAutoencoder")
    {
        var encoderLayers = new List<nn.Module<Tensor, Tensor>>();
        var width = pixels;
        foreach (var size in hidden)
        {
            encoderLayers.Add(nn.Linear(width, size));
            encoderLayers.Add(nn.ReLU());
            width = size;
        }
        encoder = nn.Sequential(encoderLayers);
        mean = nn.Linear(width, latent);
        logVariance = nn.Linear(width, latent);
        Decoder = CreateDecoder(pixels, hidden, latent);
        RegisterComponents();
    }

    /// <summary>Latent <c>[N, L]</c> → pixel logits <c>[N, F]</c>.</summary>
    public nn.Module<Tensor, Tensor> Decoder { get; }

    public static nn.Module<Tensor, Tensor> CreateDecoder(long pixels, IReadOnlyList<int> hidden, int latent)
    {
        var layers = new List<nn.Module<Tensor, Tensor>>();
        long width = latent;
        foreach (var size in hidden.Reverse())
        {
            layers.Add(nn.Linear(width, size));
            layers.Add(nn.ReLU());
            width = size;
        }
        layers.Add(nn.Linear(width, pixels));
        return nn.Sequential(layers);
    }

    public override Tensor forward(Tensor input)
    {
        var hidden = encoder.forward(input);
        var mu = mean.forward(hidden);
        var logVar = logVariance.forward(hidden);
        var z = training ? mu.add(logVar.mul(0.5).exp().mul(randn_like(mu))) : mu;
        return cat([Decoder.forward(z), mu, logVar], 1);
    }
}

/// <summary>The negative evidence lower bound per image: Bernoulli reconstruction loss summed over pixels plus the latent's KL divergence from N(0, I).</summary>
internal sealed class NegativeEvidenceLowerBound(long pixels, int latent) : ObjectiveTerm
{
    public override Tensor Compute(ObjectiveBatch batch)
    {
        var logits = batch.Outputs.narrow(1, 0, pixels);
        var mu = batch.Outputs.narrow(1, pixels, latent);
        var logVar = batch.Outputs.narrow(1, pixels + latent, latent);
        var reconstruction = nn.functional.binary_cross_entropy_with_logits(logits, batch.Features, reduction: nn.Reduction.None).sum(1);
        var divergence = logVar.add(1).sub(mu.square()).sub(logVar.exp()).sum(1).mul(-0.5);
        return reconstruction.add(divergence);
    }
}

/// <summary>Makes the negative ELBO the whole objective, and hands the decoder to an observer after every epoch.</summary>
internal sealed class VariationalObjective(long pixels, int latent, Action<TrainingContext, EpochRecord>? onEpochEnd) : TrainingCallback
{
    public override void OnTrainingBegin(TrainingContext context)
    {
        context.Objective.TaskLossWeight = 0;
        context.Objective.Add(new NegativeEvidenceLowerBound(pixels, latent));
    }

    public override void OnEpochEnd(TrainingContext context, EpochRecord record) => onEpochEnd?.Invoke(context, record);
}
