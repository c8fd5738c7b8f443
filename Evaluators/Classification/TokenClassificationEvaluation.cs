using Microsoft.ML;
using MlNetDeep.Classification;

namespace MlNetDeep;

public static partial class ClassificationEvaluation
{
    /// <summary>The class name missing keys get when no outside class is named.</summary>
    public const string MissingKeyClassName = "(missing key)";

    /// <summary>
    /// The token-level classification report of a sequence tagger's scored data, such as ML.NET's
    /// <c>NamedEntityRecognition</c> trainer leaves it (<c>Label</c> and <c>PredictedLabel</c>: vectors of keys, one per
    /// word): per-class precision, recall, F1 and support over all tokens, the confusion matrix of tags, and entity
    /// averages that leave the outside tag out. Each token counts once (scikit-learn's report on the flattened tags),
    /// not each entity span.
    /// </summary>
    /// <param name="catalog">The multiclass catalog (<c>ml.MulticlassClassification</c>).</param>
    /// <param name="data">Scored data, e.g. <c>model.Transform(testData)</c>; each row one sentence.</param>
    /// <param name="labelColumnName">The tags: a vector of keys (MapValueToKey) or of text, one per token. A key column's values name the classes, in key order.</param>
    /// <param name="predictedLabelColumnName">The predicted tags: a vector of keys or of text (after MapKeyToValue) of the label's length in every row.</param>
    /// <param name="outsideClassName">
    /// The tag of tokens outside any entity (e.g. "O"), left out of the entity averages; null makes every class an entity.
    /// A missing key (0), or an empty text, counts as this class: ML.NET's NER samples leave the outside tag out of
    /// MapValueToKey's dictionary, so outside tokens are key 0 and the model predicts key 0 for them. Without an outside
    /// class, missing keys form a class named <see cref="MissingKeyClassName"/>.
    /// </param>
    public static TokenClassificationReport EvaluateTokenReport(this MulticlassClassificationCatalog catalog, IDataView data,
        string labelColumnName = "Label", string predictedLabelColumnName = "PredictedLabel", string? outsideClassName = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(data);
        if (outsideClassName is { Length: 0 })
            throw new ArgumentException("The outside class name is empty; pass null when every class is an entity.", nameof(outsideClassName));
        var label = ClassVectorColumn.Require(data.Schema, labelColumnName, "Label", nameof(labelColumnName));
        var predicted = ClassVectorColumn.Require(data.Schema, predictedLabelColumnName, "Predicted label", nameof(predictedLabelColumnName));

        var classes = new ClassList();
        var counts = new Dictionary<(int Truth, int Predicted), long>();
        long sequences = 0;
        using (var cursor = data.GetRowCursor([label, predicted]))
        {
            var labels = ClassVectorColumn.Create(cursor, label, classes, registerKeyClasses: true);
            var predictions = ClassVectorColumn.Create(cursor, predicted, classes, registerKeyClasses: false);
            var missingClass = ClassVectorColumn.Missing;
            for (long row = 0; cursor.MoveNext(); row++)
            {
                var truth = labels.Read(row);
                var guess = predictions.Read(row);
                if (truth.Length != guess.Length)
                    throw new ArgumentException(
                        $"Row {row} has {truth.Length} tags in label column '{labelColumnName}' but {guess.Length} in predicted label column '{predictedLabelColumnName}'; every token needs one of each.",
                        nameof(data));
                for (var t = 0; t < truth.Length; t++)
                {
                    var pair = (truth[t], guess[t]);
                    if (pair.Item1 == ClassVectorColumn.Missing || pair.Item2 == ClassVectorColumn.Missing)
                    {
                        if (missingClass == ClassVectorColumn.Missing)
                            missingClass = classes.IndexOf(outsideClassName ?? MissingKeyClassName);
                        pair = (pair.Item1 == ClassVectorColumn.Missing ? missingClass : pair.Item1, pair.Item2 == ClassVectorColumn.Missing ? missingClass : pair.Item2);
                    }
                    counts[pair] = counts.GetValueOrDefault(pair) + 1;
                }
                sequences++;
            }
        }
        if (counts.Count == 0)
            throw new ArgumentException(sequences == 0 ? "The data has no rows to evaluate." : $"None of the {sequences} rows has a token.", nameof(data));

        var tally = new ClassificationTally(classes.Count);
        foreach (var ((truth, guess), count) in counts)
            tally.Add(truth, guess, truth == guess ? 0 : 1, count);
        return tally.ToTokenReport(classes.Names.ToArray(), outsideClassName, sequences);
    }
}
