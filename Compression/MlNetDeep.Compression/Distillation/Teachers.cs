using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.Networks;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetDeep.Compression;

/// <summary>What the teacher says about a training batch: <c>[B, width]</c> logits (classification) or values (regression), on the batch's device.</summary>
internal interface ITeacher : IDisposable
{
    Tensor Outputs(ObjectiveBatch batch);
}

/// <summary>How the student's task reads the teacher's output column.</summary>
internal enum DistillationKind
{
    /// <summary>Class probabilities (or logits), one per class.</summary>
    Multiclass,

    /// <summary>One score, read as a logit.</summary>
    Binary,

    /// <summary>The predicted value(s).</summary>
    Regression,
}

/// <summary>Conversions of a teacher's output rows into what the distillation term reads.</summary>
internal static class TeacherRows
{
    /// <summary>A multiclass row as logits: log-probabilities when the row is a probability distribution, else as it is.</summary>
    public static void ToLogits(Span<float> row)
    {
        double sum = 0;
        var probabilities = true;
        foreach (var v in row)
        {
            sum += v;
            probabilities &= v is >= 0 and <= 1;
        }
        if (!probabilities || Math.Abs(sum - 1) > 1e-3)
            return;
        for (var i = 0; i < row.Length; i++)
            row[i] = MathF.Log(MathF.Max(row[i], 1e-12f));
    }

    /// <summary>Reads <paramref name="column"/> of every row of <paramref name="scored"/> (a Single scalar or vector) into a row-major table.</summary>
    public static float[] Read(IDataView scored, string column, int width, DistillationKind kind, CancellationToken cancellation = default)
    {
        var values = new List<float>();
        var scoreColumn = scored.Schema[column];
        using var cursor = scored.GetRowCursor([scoreColumn]);
        var row = new float[width];
        if (scoreColumn.Type is VectorDataViewType)
        {
            var getter = cursor.GetGetter<VBuffer<float>>(scoreColumn);
            VBuffer<float> buffer = default;
            while (cursor.MoveNext())
            {
                cancellation.ThrowIfCancellationRequested();
                getter(ref buffer);
                buffer.CopyTo(row);
                Add(cursor.Position);
            }
        }
        else
        {
            var getter = cursor.GetGetter<float>(scoreColumn);
            while (cursor.MoveNext())
            {
                cancellation.ThrowIfCancellationRequested();
                getter(ref row[0]);
                Add(cursor.Position);
            }
        }
        return values.ToArray();

        void Add(long position)
        {
            foreach (var v in row)
            {
                if (!float.IsFinite(v))
                    throw new InvalidDataException($"The teacher's column '{column}' has the value {v} in row {position}; a teacher must score every training row with finite values.");
            }
            if (kind == DistillationKind.Multiclass)
                ToLogits(row);
            values.AddRange(row);
        }
    }
}

/// <summary>Outputs computed once for every training row, looked up by the batch's row positions.</summary>
internal sealed class CachedTeacher(float[] values, int width) : ITeacher
{
    private Tensor? table;

    public int Rows => values.Length / width;

    public Tensor Outputs(ObjectiveBatch batch)
    {
        table ??= tensor(values, [values.Length / width, width], device: batch.Rows.device).DetachFromDisposeScope();
        return table.index_select(0, batch.Rows);
    }

    public void Dispose() => table?.Dispose();
}

/// <summary>An MlNetDeep teacher's own network, run on each batch's features in inference mode (no gradients).</summary>
internal sealed class NetworkTeacher : ITeacher
{
    private readonly nn.Module<Tensor, Tensor> network;
    private bool onDevice;

    public NetworkTeacher(TrainedNetwork trained)
    {
        network = trained.Spec.CreateModule();
        WeightTensor.LoadAll(network, trained.Weights);
        network.eval();
    }

    public Tensor Outputs(ObjectiveBatch batch)
    {
        if (!onDevice)
        {
            network.to(batch.Features.device);
            onDevice = true;
        }
        using var noGrad = no_grad();
        return network.forward(batch.Features).detach();
    }

    public void Dispose() => network.Dispose();
}

/// <summary>Any ML.NET model, scoring each batch's features through ML.NET: the batch becomes a one-column data view.</summary>
internal sealed class PipelineTeacher(MLContext ml, ITransformer teacher, DataViewSchema.Column featureColumn, string scoreColumn, int width, DistillationKind kind) : ITeacher
{
    public static SchemaDefinition BatchSchema(DataViewSchema.Column featureColumn)
    {
        var schema = SchemaDefinition.Create(typeof(FeatureRow));
        schema[0].ColumnName = featureColumn.Name;
        schema[0].ColumnType = featureColumn.Type;
        return schema;
    }

    public Tensor Outputs(ObjectiveBatch batch)
    {
        var features = batch.Features.detach().cpu().contiguous();
        var (count, size) = ((int)features.shape[0], (int)features.shape[1]);
        var flat = features.data<float>().ToArray();
        var rows = Enumerable.Range(0, count).Select(i => new FeatureRow { Features = flat.AsSpan(i * size, size).ToArray() });
        var view = ml.Data.LoadFromEnumerable(rows, BatchSchema(featureColumn));
        var values = TeacherRows.Read(teacher.Transform(view), scoreColumn, width, kind);
        return tensor(values, [count, width], device: batch.Features.device);
    }

    public void Dispose() { }

    internal sealed class FeatureRow
    {
        public float[] Features { get; set; } = [];
    }
}
