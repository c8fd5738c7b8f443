using System.Text.Json.Nodes;

namespace MlNetDeep.Registry.Storage;

internal sealed partial class MetadataStore
{
    public Task<int> StartRunAsync(Guid key, string modelName, string actor, DateTimeOffset at, string? hyperparameters, string? environment, CancellationToken cancellationToken) =>
        WriteAsync(async (connection, transaction) =>
        {
            await Sql.ExecuteAsync(connection, transaction,
                "INSERT INTO models (name, created_at, updated_at, last_version) VALUES (@name, @at, @at, 0) ON CONFLICT (name) DO NOTHING",
                cancellationToken, ("@name", modelName), ("@at", Time(at))).ConfigureAwait(false);
            return await Sql.ExecuteAsync(connection, transaction,
                "INSERT INTO runs (run_key, model_id, status, started_by, started_at, hyperparameters, environment) " +
                $"SELECT @key, id, @status, @by, @at, {Json("@hyperparameters")}, {Json("@environment")} FROM models WHERE name = @name",
                cancellationToken, ("@key", RunKey(key)), ("@status", nameof(RunStatus.Running)), ("@by", actor), ("@at", Time(at)),
                ("@hyperparameters", hyperparameters), ("@environment", environment), ("@name", modelName)).ConfigureAwait(false);
        }, cancellationToken);

    public Task<int> LogEpochAsync(Guid key, int epoch, string record, CancellationToken cancellationToken) =>
        WriteAsync((connection, transaction) => Sql.ExecuteAsync(connection, transaction,
            $"INSERT INTO run_epochs (run_id, epoch, record) SELECT id, @epoch, {Json("@record")} FROM runs WHERE run_key = @key " +
            "ON CONFLICT (run_id, epoch) DO UPDATE SET record = excluded.record",
            cancellationToken, ("@epoch", epoch), ("@record", record), ("@key", RunKey(key))), cancellationToken);

    public Task<int> LogRunArtifactAsync(Guid key, string name, string sha256, long size, DateTimeOffset at, CancellationToken cancellationToken) =>
        WriteAsync((connection, transaction) => Sql.ExecuteAsync(connection, transaction,
            "INSERT INTO run_artifacts (run_id, name, sha256, size, created_at) SELECT id, @name, @sha256, @size, @at FROM runs WHERE run_key = @key " +
            "ON CONFLICT (run_id, name) DO UPDATE SET sha256 = excluded.sha256, size = excluded.size, created_at = excluded.created_at",
            cancellationToken, ("@name", name), ("@sha256", sha256), ("@size", size), ("@at", Time(at)), ("@key", RunKey(key))), cancellationToken);

    public Task<int> SetRunHyperparametersAsync(Guid key, string hyperparameters, CancellationToken cancellationToken) =>
        WriteAsync((connection, transaction) => Sql.ExecuteAsync(connection, transaction,
            $"UPDATE runs SET hyperparameters = {Json("@hyperparameters")} WHERE run_key = @key",
            cancellationToken, ("@hyperparameters", hyperparameters), ("@key", RunKey(key))), cancellationToken);

    public Task<int> EndRunAsync(Guid key, RunStatus status, DateTimeOffset at, CancellationToken cancellationToken) =>
        WriteAsync((connection, transaction) => Sql.ExecuteAsync(connection, transaction,
            "UPDATE runs SET status = @status, ended_at = @at WHERE run_key = @key",
            cancellationToken, ("@status", status.ToString()), ("@at", Time(at)), ("@key", RunKey(key))), cancellationToken);

    public Task<int> ResumeRunAsync(Guid key, CancellationToken cancellationToken) =>
        WriteAsync((connection, transaction) => Sql.ExecuteAsync(connection, transaction,
            "UPDATE runs SET status = @status, ended_at = NULL WHERE run_key = @key",
            cancellationToken, ("@status", nameof(RunStatus.Running)), ("@key", RunKey(key))), cancellationToken);

    public Task<TrainingRunInfo> GetRunAsync(Guid key, CancellationToken cancellationToken) =>
        ReadAsync(async connection =>
        {
            var rows = await Sql.QueryAsync(connection, null,
                "SELECT r.id, m.name, r.status, r.started_by, r.started_at, r.ended_at, r.hyperparameters, r.environment " +
                "FROM runs r JOIN models m ON m.id = r.model_id WHERE r.run_key = @key",
                r => (Id: r.Int64(0), Model: r.GetString(1), Status: Enum.Parse<RunStatus>(r.GetString(2)), By: r.GetString(3), Started: ReadTime(r, 4),
                    Ended: r.IsDBNull(5) ? (DateTimeOffset?)null : ReadTime(r, 5), Hyperparameters: r.NullableString(6), Environment: r.NullableString(7)),
                cancellationToken, ("@key", RunKey(key))).ConfigureAwait(false);
            if (rows.Count == 0)
                throw new RegistryNotFoundException($"There is no training run {key} in the registry at {database.Location}.");
            var run = rows[0];
            var epochs = await Sql.QueryAsync(connection, null, "SELECT record FROM run_epochs WHERE run_id = @run ORDER BY epoch",
                r => JsonNode.Parse(r.GetString(0))!.AsObject(), cancellationToken, ("@run", run.Id)).ConfigureAwait(false);
            var artifacts = await Sql.QueryAsync(connection, null, "SELECT name, sha256, size FROM run_artifacts WHERE run_id = @run ORDER BY name",
                r => new ArtifactReference(r.GetString(0), r.GetString(1), r.Int64(2)), cancellationToken, ("@run", run.Id)).ConfigureAwait(false);
            return new TrainingRunInfo
            {
                Id = key, ModelName = run.Model, Status = run.Status, StartedBy = run.By, StartedAt = run.Started, EndedAt = run.Ended,
                Hyperparameters = ParseObject(run.Hyperparameters), Environment = Deserialize<EnvironmentInfo>(run.Environment),
                Epochs = epochs, Artifacts = artifacts,
            };
        }, cancellationToken);
}
