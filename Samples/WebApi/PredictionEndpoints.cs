using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using MlNetDeep.Serving;

namespace WebApi;

/// <summary>POST /predict and POST /predict/batch.</summary>
public static class PredictionEndpoints
{
    /// <summary>The most images one batch request may hold.</summary>
    public const int MaximumBatchItems = 1000;

    /// <summary>Maps the prediction endpoints.</summary>
    public static void MapPredictionEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/predict", PredictOneAsync)
            .WithName("Predict")
            .WithSummary("Classifies one 28 × 28 image.")
            .Accepts<PredictRequest>("application/json")
            .Produces<PredictResponse>()
            .ProducesValidationProblem();
        app.MapPost("/predict/batch", PredictBatchAsync)
            .WithName("PredictBatch")
            .WithSummary($"Classifies up to {MaximumBatchItems} images; the results are in the order of the request.")
            .Accepts<PredictRequest[]>("application/json")
            .Produces<PredictResponse[]>()
            .ProducesValidationProblem();
    }

    private static async Task<IResult> PredictOneAsync(HttpRequest request, PredictionEnginePool<ModelInput, ModelOutput> pool,
        ClassLabelCache labels, IOptions<JsonOptions> json, CancellationToken cancellationToken)
    {
        var (body, problem) = await RequestBody.ReadAsync<PredictRequest>(request, json.Value.SerializerOptions, cancellationToken);
        if (problem is not null)
            return problem;
        var errors = new Dictionary<string, string[]>();
        var input = RequestBody.Validate(body!, "", errors);
        if (errors.Count > 0)
            return Results.ValidationProblem(errors);
        var output = await pool.PredictAsync(input!, cancellationToken);
        return Results.Ok(labels.Respond(pool, output));
    }

    private static async Task<IResult> PredictBatchAsync(HttpRequest request, PredictionEnginePool<ModelInput, ModelOutput> pool,
        ClassLabelCache labels, IOptions<JsonOptions> json, CancellationToken cancellationToken)
    {
        var (body, problem) = await RequestBody.ReadAsync<PredictRequest?[]>(request, json.Value.SerializerOptions, cancellationToken);
        if (problem is not null)
            return problem;
        var errors = new Dictionary<string, string[]>();
        if (body!.Length is 0 or > MaximumBatchItems)
            errors["$"] = [$"The body must be an array of 1 to {MaximumBatchItems} items; it has {body.Length}."];
        var inputs = new ModelInput[body.Length];
        for (var i = 0; i < body.Length && errors.Count == 0; i++)
        {
            if (body[i] is not { } item)
                errors[$"[{i}]"] = ["The item is null; each item needs a features field."];
            else if (RequestBody.Validate(item, $"[{i}].", errors) is { } input)
                inputs[i] = input;
        }
        if (errors.Count > 0)
            return Results.ValidationProblem(errors);
        var outputs = await Task.WhenAll(inputs.Select(input => pool.PredictAsync(input, cancellationToken).AsTask()));
        return Results.Ok(outputs.Select(output => labels.Respond(pool, output)).ToArray());
    }
}
