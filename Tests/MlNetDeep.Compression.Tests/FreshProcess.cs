using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using Microsoft.ML;

namespace MlNetDeep.Compression.Tests;

/// <summary>Scores a saved model.zip in the scoring process, which references MlNetDeep.Scoring and ML.NET only (no TorchSharp).</summary>
internal static class FreshProcess
{
    private static string ScoringProcess => typeof(FreshProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "ScoringProcessPath").Value!;

    /// <summary>Saves <paramref name="model"/>, scores the first 50 rows' Features in a fresh process and checks that it matches this process's scores within 1e-5.</summary>
    public static void AssertAgrees(MLContext ml, ITransformer model, IDataView data, string task, string modelPath)
    {
        // The scoring process reads the predicted label as text.
        if (task == "multiclass")
            model = model.Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel").Fit(model.Transform(data)));
        ml.Model.Save(model, data.Schema, modelPath);
        var folder = Path.GetDirectoryName(modelPath)!;
        var rows = ml.Data.TakeRows(data, 50);
        File.WriteAllLines(Path.Combine(folder, "input.tsv"),
            rows.GetColumn<float[]>("Features").Select(f => string.Join('\t', f.Select(v => v.ToString("R", CultureInfo.InvariantCulture)))));
        var scored = model.Transform(rows);
        var expected = task == "regression"
            ? scored.GetColumn<float>("Score").Select(s => new[] { s }).ToArray()
            : scored.GetColumn<float[]>("Score").ToArray();

        Run(task, modelPath, Path.Combine(folder, "input.tsv"), Path.Combine(folder, "output.tsv"));

        var actual = File.ReadAllLines(Path.Combine(folder, "output.tsv")).Select(line => line.Split('\t').Skip(1).Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray()).ToArray();
        Assert.HasCount(expected.Length, actual);
        for (var row = 0; row < expected.Length; row++)
        {
            Assert.HasCount(expected[row].Length, actual[row]);
            for (var i = 0; i < actual[row].Length; i++)
                Assert.AreEqual(expected[row][i], actual[row][i], 1e-5f, $"row {row}, score {i}");
        }
    }

    private static void Run(params string[] arguments)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        start.ArgumentList.Add(ScoringProcess);
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEndAsync();
        Assert.IsTrue(process.WaitForExit(TimeSpan.FromMinutes(2)), "the scoring process finished");
        Assert.AreEqual(0, process.ExitCode, $"scoring process failed: {output.Result}{error.Result}");
    }
}
