using MlNetDeep.Compression;
using static TorchSharp.torch;

namespace MlNetDeep;

/// <summary>
/// The training callback behind <c>Distill</c>: sets the task's loss weight to 1 − α and adds the distillation term with
/// weight α — T²·KL(teacher ‖ student) at temperature T for classification, squared error to the teacher's output for
/// regression — whose teacher outputs come from a cache looked up by row position, or from the teacher run on the batch.
/// </summary>
internal sealed class KnowledgeDistillation(ITeacher teacher, DistillationOptions options, DistillationKind kind) : TrainingCallback
{
    public override void OnTrainingBegin(TrainingContext context)
    {
        context.Objective.TaskLossWeight = 1 - options.Alpha;
        context.Objective.Add(new DistillationTerm(teacher, options.Temperature, kind), options.Alpha);
    }

    private sealed class DistillationTerm(ITeacher teacher, double temperature, DistillationKind kind) : ObjectiveTerm
    {
        public override string Name => "Distillation";

        public override Tensor Compute(ObjectiveBatch batch)
        {
            var student = batch.Outputs;
            var target = teacher.Outputs(batch);
            if (target.shape[1] != student.shape[1])
                throw new InvalidOperationException($"The teacher gives {target.shape[1]} outputs per example but the student {student.shape[1]}.");
            var squared = temperature * temperature;
            switch (kind)
            {
                case DistillationKind.Multiclass:
                {
                    var studentLog = nn.functional.log_softmax(student.div(temperature), 1);
                    var teacherLog = nn.functional.log_softmax(target.div(temperature), 1);
                    return teacherLog.exp().mul(teacherLog.sub(studentLog)).sum(1).mul(squared);
                }
                case DistillationKind.Binary:
                {
                    var (s, t) = (student.squeeze(1).div(temperature), target.squeeze(1).div(temperature));
                    var p = t.sigmoid();
                    var positive = p.mul(nn.functional.logsigmoid(t).sub(nn.functional.logsigmoid(s)));
                    var negative = p.neg().add(1).mul(nn.functional.logsigmoid(t.neg()).sub(nn.functional.logsigmoid(s.neg())));
                    return positive.add(negative).mul(squared);
                }
                default:
                    return student.sub(target).square().mean([1]);
            }
        }
    }
}
