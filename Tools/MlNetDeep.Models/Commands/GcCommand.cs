using System.CommandLine;
using System.Globalization;

namespace MlNetDeep.Models;

/// <summary>models gc [--min-age 1h] [--dry-run]</summary>
internal static class GcCommand
{
    public static Command Create(TextWriter output)
    {
        var minimumAge = new Option<string>("--min-age")
        {
            Description = "Keep unreferenced files younger than this (30s, 10m, 1h, 2d): a registration in progress has written its files but not committed yet.",
            DefaultValueFactory = _ => "1h",
        };
        var dryRun = new Option<bool>("--dry-run") { Description = "Only report what would be removed." };
        var command = new Command("gc", "Remove stored files that no version or run references (deleted versions' files, leftovers of interrupted registrations).")
        {
            minimumAge, dryRun,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var age = ParseAge(parse.GetValue(minimumAge)!);
            await using var registry = await ModelsCommand.OpenAsync(parse, readOnly: true, cancellationToken);
            var result = await registry.CollectGarbageAsync(age, parse.GetValue(dryRun), cancellationToken);
            if (parse.GetValue(ModelsCommand.Json))
            {
                await ModelsCommand.WriteJsonAsync(output, new { result.DryRun, result.DeletedArtifacts, result.DeletedBytes, result.ReferencedArtifacts, result.RecentArtifacts, result.AbandonedUploads });
                return ExitCodes.Success;
            }
            var verb = result.DryRun ? "would remove" : "removed";
            await output.WriteLineAsync($"{verb} {result.DeletedArtifacts.Count} unreferenced file(s), {ModelsCommand.Size(result.DeletedBytes)}, and {result.AbandonedUploads} abandoned upload(s)");
            await output.WriteLineAsync($"kept {result.ReferencedArtifacts} referenced file(s) and {result.RecentArtifacts} unreferenced file(s) younger than {parse.GetValue(minimumAge)}");
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>"0", "45s", "10m", "1h", "2d", or a TimeSpan ("01:30:00").</summary>
    internal static TimeSpan ParseAge(string text)
    {
        if (text.Length > 1 && double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var amount) && amount >= 0)
        {
            switch (text[^1])
            {
                case 's': return TimeSpan.FromSeconds(amount);
                case 'm': return TimeSpan.FromMinutes(amount);
                case 'h': return TimeSpan.FromHours(amount);
                case 'd': return TimeSpan.FromDays(amount);
            }
        }
        if (text == "0")
            return TimeSpan.Zero;
        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var span) && span >= TimeSpan.Zero
            ? span
            : throw new ArgumentException($"--min-age '{text}' is not an age: use e.g. 30s, 10m, 1h, 2d or 01:30:00.");
    }
}
