namespace MlNetDeep.Serving;

/// <summary>Model files for <see cref="PredictionEnginePoolBuilder{TData, TPrediction}"/>, as in Microsoft.Extensions.ML.</summary>
public static class PredictionEnginePoolBuilderExtensions
{
    /// <summary>Serves the model file <paramref name="filePath"/> as the default model and reloads it when it changes.</summary>
    /// <param name="builder">The pool's builder.</param>
    /// <param name="filePath">The model.zip file.</param>
    /// <returns>The builder.</returns>
    public static PredictionEnginePoolBuilder<TData, TPrediction> FromFile<TData, TPrediction>(
        this PredictionEnginePoolBuilder<TData, TPrediction> builder, string filePath)
        where TData : class
        where TPrediction : class, new() =>
        builder.FromFile(string.Empty, filePath, watchForChanges: true);

    /// <summary>Serves the model file <paramref name="filePath"/> as the default model.</summary>
    /// <param name="builder">The pool's builder.</param>
    /// <param name="filePath">The model.zip file.</param>
    /// <param name="watchForChanges">Whether to reload the model when the file changes.</param>
    /// <returns>The builder.</returns>
    public static PredictionEnginePoolBuilder<TData, TPrediction> FromFile<TData, TPrediction>(
        this PredictionEnginePoolBuilder<TData, TPrediction> builder, string filePath, bool watchForChanges)
        where TData : class
        where TPrediction : class, new() =>
        builder.FromFile(string.Empty, filePath, watchForChanges);

    /// <summary>Serves the model file <paramref name="filePath"/> under <paramref name="modelName"/> and reloads it when it changes.</summary>
    /// <param name="builder">The pool's builder.</param>
    /// <param name="modelName">The model's name; empty for the default model.</param>
    /// <param name="filePath">The model.zip file.</param>
    /// <returns>The builder.</returns>
    public static PredictionEnginePoolBuilder<TData, TPrediction> FromFile<TData, TPrediction>(
        this PredictionEnginePoolBuilder<TData, TPrediction> builder, string modelName, string filePath)
        where TData : class
        where TPrediction : class, new() =>
        builder.FromFile(modelName, filePath, watchForChanges: true);

    /// <summary>Serves the model file <paramref name="filePath"/> under <paramref name="modelName"/>.</summary>
    /// <param name="builder">The pool's builder.</param>
    /// <param name="modelName">The model's name; empty for the default model.</param>
    /// <param name="filePath">The model.zip file; a relative path is resolved against the current directory when the pool starts.</param>
    /// <param name="watchForChanges">
    /// Whether to reload the model when the file changes: the new file is loaded and checked in the background and swapped in
    /// atomically; a file that cannot be loaded leaves the current model serving (see <see cref="FileModelSource"/>).
    /// </param>
    /// <returns>The builder.</returns>
    public static PredictionEnginePoolBuilder<TData, TPrediction> FromFile<TData, TPrediction>(
        this PredictionEnginePoolBuilder<TData, TPrediction> builder, string modelName, string filePath, bool watchForChanges)
        where TData : class
        where TPrediction : class, new()
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(filePath);
        return builder.FromSource(modelName, _ => new FileModelSource(filePath, watchForChanges));
    }
}
