using MlNetDeep.Serving;

namespace MlNetDeep.Registry.Serving;

/// <summary>
/// Serves model registry aliases from a <see cref="PredictionEnginePoolBuilder{TData, TPrediction}"/>, as <c>FromFile</c>
/// serves files: the pool loads the version the alias points to and reloads when the alias moves (see <see cref="RegistryModelSource"/>).
/// </summary>
public static class PredictionEnginePoolBuilderRegistryExtensions
{
    /// <summary>Serves alias <paramref name="alias"/> of <paramref name="modelName"/> from <paramref name="registry"/> as the default model.</summary>
    /// <param name="builder">The pool's builder.</param>
    /// <param name="registry">An open registry; the caller keeps and disposes it.</param>
    /// <param name="modelName">The model's name in the registry.</param>
    /// <param name="alias">The alias to follow, such as <c>production</c>, or <c>latest</c> for the newest active version.</param>
    /// <param name="pollInterval">How often the alias is checked (default <see cref="RegistryModelSource.DefaultPollInterval"/>).</param>
    /// <returns>The builder.</returns>
    public static PredictionEnginePoolBuilder<TData, TPrediction> FromRegistry<TData, TPrediction>(
        this PredictionEnginePoolBuilder<TData, TPrediction> builder, ModelRegistry registry, string modelName, string alias, TimeSpan? pollInterval = null)
        where TData : class
        where TPrediction : class, new() =>
        builder.FromRegistry(string.Empty, registry, modelName, alias, pollInterval);

    /// <summary>Serves alias <paramref name="alias"/> of <paramref name="modelName"/> from <paramref name="registry"/> under <paramref name="servedModelName"/>.</summary>
    /// <param name="builder">The pool's builder.</param>
    /// <param name="servedModelName">The model's name in the pool (as <c>FromFile</c>'s <c>modelName</c>); empty for the default model.</param>
    /// <param name="registry">An open registry; the caller keeps and disposes it.</param>
    /// <param name="modelName">The model's name in the registry.</param>
    /// <param name="alias">The alias to follow, such as <c>production</c>, or <c>latest</c> for the newest active version.</param>
    /// <param name="pollInterval">How often the alias is checked (default <see cref="RegistryModelSource.DefaultPollInterval"/>).</param>
    /// <returns>The builder.</returns>
    public static PredictionEnginePoolBuilder<TData, TPrediction> FromRegistry<TData, TPrediction>(
        this PredictionEnginePoolBuilder<TData, TPrediction> builder, string servedModelName, ModelRegistry registry, string modelName, string alias,
        TimeSpan? pollInterval = null)
        where TData : class
        where TPrediction : class, new()
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(registry);
        Validate(modelName, alias, pollInterval);
        return builder.FromSource(servedModelName, _ => new RegistryModelSource(registry, modelName, alias, pollInterval));
    }

    /// <summary>
    /// Serves alias <paramref name="alias"/> of <paramref name="modelName"/> as the default model, from the registry
    /// <paramref name="openRegistry"/> opens when the pool starts (for example
    /// <c>ct =&gt; SqliteRegistry.OpenAsync(folder, readOnly: true, ct)</c>); the pool disposes it with itself.
    /// </summary>
    /// <param name="builder">The pool's builder.</param>
    /// <param name="openRegistry">Opens the registry.</param>
    /// <param name="modelName">The model's name in the registry.</param>
    /// <param name="alias">The alias to follow, such as <c>production</c>, or <c>latest</c> for the newest active version.</param>
    /// <param name="pollInterval">How often the alias is checked (default <see cref="RegistryModelSource.DefaultPollInterval"/>).</param>
    /// <returns>The builder.</returns>
    public static PredictionEnginePoolBuilder<TData, TPrediction> FromRegistry<TData, TPrediction>(
        this PredictionEnginePoolBuilder<TData, TPrediction> builder, Func<CancellationToken, Task<ModelRegistry>> openRegistry, string modelName, string alias,
        TimeSpan? pollInterval = null)
        where TData : class
        where TPrediction : class, new() =>
        builder.FromRegistry(string.Empty, openRegistry, modelName, alias, pollInterval);

    /// <summary>
    /// Serves alias <paramref name="alias"/> of <paramref name="modelName"/> under <paramref name="servedModelName"/>, from
    /// the registry <paramref name="openRegistry"/> opens when the pool starts; the pool disposes it with itself.
    /// </summary>
    /// <param name="builder">The pool's builder.</param>
    /// <param name="servedModelName">The model's name in the pool (as <c>FromFile</c>'s <c>modelName</c>); empty for the default model.</param>
    /// <param name="openRegistry">Opens the registry.</param>
    /// <param name="modelName">The model's name in the registry.</param>
    /// <param name="alias">The alias to follow, such as <c>production</c>, or <c>latest</c> for the newest active version.</param>
    /// <param name="pollInterval">How often the alias is checked (default <see cref="RegistryModelSource.DefaultPollInterval"/>).</param>
    /// <returns>The builder.</returns>
    public static PredictionEnginePoolBuilder<TData, TPrediction> FromRegistry<TData, TPrediction>(
        this PredictionEnginePoolBuilder<TData, TPrediction> builder, string servedModelName, Func<CancellationToken, Task<ModelRegistry>> openRegistry,
        string modelName, string alias, TimeSpan? pollInterval = null)
        where TData : class
        where TPrediction : class, new()
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(openRegistry);
        Validate(modelName, alias, pollInterval);
        return builder.FromSource(servedModelName, _ => new RegistryModelSource(openRegistry, modelName, alias, pollInterval));
    }

    // Names are checked when the pool is configured, not first when it starts.
    private static void Validate(string modelName, string alias, TimeSpan? pollInterval)
    {
        RegistryNames.ValidateModelName(modelName);
        ArgumentNullException.ThrowIfNull(alias);
        VersionSelector.ForAlias(alias);
        RegistryModelSource.ValidatePollInterval(pollInterval);
    }
}
