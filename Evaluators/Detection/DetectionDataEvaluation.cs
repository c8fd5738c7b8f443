using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.Classification;

namespace MlNetDeep;

public static partial class DetectionEvaluation
{
    /// <summary>
    /// COCO and PASCAL VOC average precision of scored object-detection data, one image per row, in the columns ML.NET's
    /// <c>ObjectDetection</c> trainer (Microsoft.ML.TorchSharp) takes and writes: ground-truth classes and boxes, and
    /// predicted classes, boxes and scores. Boxes are flat vectors of corners x0, y0, x1, y1 per box, in the image's
    /// pixels, taken as continuous coordinates (width x1 − x0, as COCO measures; ML.NET's own
    /// <c>EvaluateObjectDetection</c> adds one pixel to widths and heights). Classes are matched by name: a key
    /// column's values (or key numbers when it has none), or text, so the label may be keys and the prediction text
    /// after <c>MapKeyToValue</c>. Matching and averaging follow <see cref="Evaluate(IReadOnlyList{DetectionImage}, int)"/>.
    /// </summary>
    /// <param name="catalog">The multiclass catalog (<c>ml.MulticlassClassification</c>), where ML.NET's detection trainer lives.</param>
    /// <param name="data">Scored data, e.g. <c>model.Transform(testData)</c>.</param>
    /// <param name="labelColumnName">The ground-truth classes: a vector of keys (MapValueToKey) or of text, one per box.</param>
    /// <param name="boundingBoxColumnName">The ground-truth boxes: a vector of Single, four corners per class of the label column.</param>
    /// <param name="predictedLabelColumnName">The detected classes: a vector of keys or of text, one per detection.</param>
    /// <param name="predictedBoundingBoxColumnName">The detected boxes: a vector of Single, four corners per detection.</param>
    /// <param name="scoreColumnName">The detections' confidences: a vector of Single, one per detection.</param>
    /// <param name="maxDetectionsPerImage">Detections per image and class kept, highest scores first (COCO: 100).</param>
    public static DetectionMetrics EvaluateDetection(this MulticlassClassificationCatalog catalog, IDataView data,
        string labelColumnName = "Label", string boundingBoxColumnName = "BoundingBoxes",
        string predictedLabelColumnName = "PredictedLabel", string predictedBoundingBoxColumnName = "PredictedBoundingBoxes",
        string scoreColumnName = "Score", int maxDetectionsPerImage = 100)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDetectionsPerImage, 1);
        var label = ClassVectorColumn.Require(data.Schema, labelColumnName, "Label", nameof(labelColumnName));
        var boxes = RequireSingleVector(data.Schema, boundingBoxColumnName, "Bounding box", nameof(boundingBoxColumnName));
        var predicted = ClassVectorColumn.Require(data.Schema, predictedLabelColumnName, "Predicted label", nameof(predictedLabelColumnName));
        var predictedBoxes = RequireSingleVector(data.Schema, predictedBoundingBoxColumnName, "Predicted bounding box", nameof(predictedBoundingBoxColumnName));
        var score = RequireSingleVector(data.Schema, scoreColumnName, "Score", nameof(scoreColumnName));

        var classes = new ClassList();
        var images = new List<DetectionImage>();
        using (var cursor = data.GetRowCursor([label, boxes, predicted, predictedBoxes, score]))
        {
            var labels = ClassVectorColumn.Create(cursor, label, classes, registerKeyClasses: true);
            var predictions = ClassVectorColumn.Create(cursor, predicted, classes, registerKeyClasses: false);
            var boxGetter = cursor.GetGetter<VBuffer<float>>(boxes);
            var predictedBoxGetter = cursor.GetGetter<VBuffer<float>>(predictedBoxes);
            var scoreGetter = cursor.GetGetter<VBuffer<float>>(score);
            VBuffer<float> boxValues = default, predictedBoxValues = default, scoreValues = default;
            for (long row = 0; cursor.MoveNext(); row++)
            {
                var truthClasses = labels.Read(row);
                boxGetter(ref boxValues);
                var truthBoxes = Boxes(boxValues, truthClasses.Length, boundingBoxColumnName, labelColumnName, row);
                var truth = new GroundTruthBox[truthClasses.Length];
                for (var i = 0; i < truth.Length; i++)
                    truth[i] = new GroundTruthBox(ClassIndex(truthClasses[i], labels, row), truthBoxes[i]);

                var detectedClasses = predictions.Read(row);
                predictedBoxGetter(ref predictedBoxValues);
                var detectedBoxes = Boxes(predictedBoxValues, detectedClasses.Length, predictedBoundingBoxColumnName, predictedLabelColumnName, row);
                scoreGetter(ref scoreValues);
                if (scoreValues.Length != detectedClasses.Length)
                    throw new ArgumentException(
                        $"Row {row} has {detectedClasses.Length} detections in predicted label column '{predictedLabelColumnName}' but {scoreValues.Length} scores in score column '{scoreColumnName}'; each detection needs one score.",
                        nameof(data));
                var scores = scoreValues.DenseValues().ToArray();
                var detections = new DetectedBox[detectedClasses.Length];
                for (var i = 0; i < detections.Length; i++)
                {
                    if (!float.IsFinite(scores[i]))
                        throw new ArgumentException($"Score column '{scoreColumnName}' holds {scores[i]} in row {row}, detection {i}; scores must be finite.", nameof(data));
                    detections[i] = new DetectedBox(ClassIndex(detectedClasses[i], predictions, row), scores[i], detectedBoxes[i]);
                }
                images.Add(new DetectionImage(truth, detections));
            }
        }
        if (images.Count == 0)
            throw new ArgumentException("The data has no rows (images) to evaluate.", nameof(data));
        return Evaluate(images, maxDetectionsPerImage, classes.Names.ToArray());
    }

    private static DataViewSchema.Column RequireSingleVector(DataViewSchema schema, string name, string role, string parameterName)
    {
        var column = schema.GetColumnOrNull(name) ?? throw new ArgumentOutOfRangeException(parameterName, $"{role} column '{name}' is not in the data.");
        if (column.Type is not VectorDataViewType { ItemType: var itemType } || itemType != NumberDataViewType.Single)
            throw new ArgumentOutOfRangeException(parameterName, $"{role} column '{name}' has type {column.Type}; it needs a vector of Single.");
        return column;
    }

    private static int ClassIndex(int index, ClassVectorColumn column, long row) => index != ClassVectorColumn.Missing
        ? index
        : throw new ArgumentException($"Column '{column.Name}' holds a missing key (0) or an empty class in row {row}; every box needs a class.", "data");

    /// <summary>The row's boxes from corners x0, y0, x1, y1, four values per class of <paramref name="classColumnName"/>.</summary>
    private static BoundingBox[] Boxes(in VBuffer<float> values, int count, string boxColumnName, string classColumnName, long row)
    {
        if (values.Length % 4 != 0)
            throw new ArgumentException($"Bounding box column '{boxColumnName}' holds {values.Length} values in row {row}, not a multiple of 4 (x0, y0, x1, y1 per box).", "data");
        if (values.Length != 4 * count)
            throw new ArgumentException(
                $"Bounding box column '{boxColumnName}' holds {values.Length / 4} boxes in row {row} but column '{classColumnName}' holds {count} classes; each box needs one class.",
                "data");
        var corners = values.DenseValues().ToArray();
        var boxes = new BoundingBox[count];
        for (var i = 0; i < count; i++)
        {
            var (x0, y0, x1, y1) = (corners[4 * i], corners[4 * i + 1], corners[4 * i + 2], corners[4 * i + 3]);
            if (!float.IsFinite(x0) || !float.IsFinite(y0) || !float.IsFinite(x1) || !float.IsFinite(y1))
                throw new ArgumentException($"Bounding box column '{boxColumnName}' holds a non-finite corner in row {row}, box {i}: ({x0}, {y0}, {x1}, {y1}).", "data");
            if (x1 < x0 || y1 < y0)
                throw new ArgumentException(
                    $"Bounding box column '{boxColumnName}' holds box {i} of row {row} as ({x0}, {y0}, {x1}, {y1}); corners go x0, y0, x1, y1 with x1 ≥ x0 and y1 ≥ y0.",
                    "data");
            boxes[i] = BoundingBox.FromCorners(x0, y0, x1, y1);
        }
        return boxes;
    }
}
