using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using MlNetDeep.Serving;
using WebApi;

// A Model Builder-style web API over the Fashion-MNIST model: POST /predict, POST /predict/batch, GET /health, and the
// OpenAPI document at /openapi/v1.json. Binds to 127.0.0.1:5088 unless --urls says otherwise (appsettings.json).
var builder = WebApplication.CreateBuilder(args);

var modelPath = Path.GetFullPath(builder.Configuration["Model:Path"] ?? "model.zip", builder.Environment.ContentRootPath);
if (!File.Exists(modelPath))
    StartupTraining.Train(modelPath, builder.Configuration.GetValue("Model:StartupTrainingEpochs", 3), Console.Out);

var pool = builder.Services.AddPredictionEnginePool<ModelInput, ModelOutput>()
    .FromFile(modelPath, builder.Configuration.GetValue("Model:WatchForChanges", true));
var batching = builder.Configuration.GetSection("Batching");
if (batching.GetValue("Enabled", false))
{
    pool.WithDynamicBatching(o =>
    {
        o.MaximumBatchSize = batching.GetValue("MaximumBatchSize", o.MaximumBatchSize);
        o.MaximumDelay = TimeSpan.FromMilliseconds(batching.GetValue("MaximumDelayMilliseconds", 0.0));
        o.MaximumConcurrentBatches = batching.GetValue("MaximumConcurrentBatches", o.MaximumConcurrentBatches);
    });
}
builder.Services.AddSingleton<ClassLabelCache>();
builder.Services.AddHealthChecks().AddPredictionEnginePoolCheck<ModelInput, ModelOutput>();
builder.Services.AddProblemDetails();
builder.Services.AddOpenApi();
// NaN and Infinity are read (and then rejected by validation with the field's name) rather than failing as malformed JSON.
builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.NumberHandling |= JsonNumberHandling.AllowNamedFloatingPointLiterals);

var app = builder.Build();
// Load the model now, so that a missing or broken model stops the start rather than the first request.
app.Services.GetRequiredService<PredictionEnginePool<ModelInput, ModelOutput>>();

app.MapOpenApi();
app.MapHealthChecks("/health", new HealthCheckOptions { ResponseWriter = HealthReportWriter.WriteAsync });
app.MapPredictionEndpoints();

app.Run();

/// <summary>The application's entry point, public so that tests can start it with WebApplicationFactory.</summary>
public partial class Program;
