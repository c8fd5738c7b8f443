using System.Text.Json;
using System.Text.Json.Serialization;

namespace MlNetDeep.Search;

/// <summary>The trial table on disk: the search's description (so a resume with other settings is refused) and every trial.</summary>
internal static class TrialTable
{
    public const string FileName = "trials.json";

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private sealed record Document(string Search, string Metric, List<TrialRecord> Trials);

    /// <summary>Writes the table beside the old one, flushes it and renames it over, so a crash leaves the old or the new table, never half of one.</summary>
    public static void Save(string folder, string search, string metric, IReadOnlyList<TrialRecord> trials)
    {
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, FileName);
        var temporary = path + ".tmp";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            JsonSerializer.Serialize(stream, new Document(search, metric, trials.ToList()), Json);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>The trials of the table in <paramref name="folder"/>, with parameters rebuilt from their unit coordinates; empty when there is no table.</summary>
    /// <exception cref="InvalidOperationException">The table is unreadable or belongs to a search with other settings.</exception>
    public static List<TrialRecord> Load(string folder, string search, string metric, SearchSpace space)
    {
        var path = Path.Combine(folder, FileName);
        if (!File.Exists(path))
            return [];
        Document? document;
        try
        {
            document = JsonSerializer.Deserialize<Document>(File.ReadAllText(path), Json);
        }
        catch (JsonException e)
        {
            throw new InvalidOperationException($"The trial table '{path}' is not readable ({e.Message}); move it away to start a new search.", e);
        }
        if (document is null)
            return [];
        if (document.Search != search || document.Metric != metric)
            throw new InvalidOperationException(
                $"The trial table '{path}' belongs to another search (its settings: {document.Search}, metric {document.Metric}); " +
                "use another Folder, or the same space, template, sampler, scheduler, seed and metric to resume.");
        return document.Trials.Select(t => Rebind(t, space)).ToList();
    }

    private static TrialRecord Rebind(TrialRecord stored, SearchSpace space) => new()
    {
        Number = stored.Number,
        Attempt = stored.Attempt,
        Seed = stored.Seed,
        Parameters = space.PointAt(stored.Unit).Values,
        Unit = stored.Unit,
        OptionsJson = stored.OptionsJson,
        MaxEpochs = stored.MaxEpochs,
        State = stored.State,
        Epochs = stored.Epochs,
        Score = stored.Score,
        StopReason = stored.StopReason,
        Error = stored.Error,
        Worker = stored.Worker,
        StartedUtc = stored.StartedUtc,
        Seconds = stored.Seconds,
    };
}
