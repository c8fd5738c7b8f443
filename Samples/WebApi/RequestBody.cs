using System.Text.Json;

namespace WebApi;

/// <summary>Reads and checks request bodies, so that a bad request gets a 400 problem details response naming the field.</summary>
public static class RequestBody
{
    /// <summary>Reads the JSON body; on malformed JSON, a validation problem keyed by the JSON path of the bad value.</summary>
    public static async Task<(T? Value, IResult? Problem)> ReadAsync<T>(HttpRequest request, JsonSerializerOptions options, CancellationToken cancellationToken)
        where T : class
    {
        if (!request.HasJsonContentType())
            return (null, Results.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, title: "The body must be JSON (Content-Type: application/json)."));
        try
        {
            var value = await request.ReadFromJsonAsync<T>(options, cancellationToken);
            return value is null ? (null, Invalid("$", "The body is null.")) : (value, null);
        }
        catch (JsonException e)
        {
            // "The JSON value could not be converted to System.Single. Path: $.features[3] | LineNumber: ..." → the first part.
            var reason = e.Message.Split(" Path:", 2)[0];
            return (null, Invalid(FieldName(e.Path), $"Invalid JSON: {reason}"));
        }
    }

    /// <summary>Checks one image; adds errors under <paramref name="prefix"/> + the field's name and returns null when there are any.</summary>
    public static ModelInput? Validate(PredictRequest request, string prefix, Dictionary<string, string[]> errors)
    {
        var features = request.Features;
        if (features is null)
        {
            errors[prefix + "features"] = [$"The features field is required: {ModelInput.PixelCount} pixel values (28 × 28, row by row)."];
            return null;
        }
        if (features.Length != ModelInput.PixelCount)
        {
            errors[prefix + "features"] = [$"Expected {ModelInput.PixelCount} values (28 × 28), got {features.Length}."];
            return null;
        }
        var bad = Enumerable.Range(0, features.Length).Where(i => !float.IsFinite(features[i])).Take(5).ToArray();
        foreach (var i in bad)
            errors[$"{prefix}features[{i}]"] = [$"{features[i]} is not a finite number."];
        return bad.Length > 0 ? null : new ModelInput { Features = features };
    }

    private static IResult Invalid(string field, string message) => Results.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] });

    /// <summary>"$.features[3]" → "features[3]"; "$[2].features" → "[2].features"; the body itself → "$".</summary>
    private static string FieldName(string? path) => path is null or "$" ? "$" : path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path[1..];
}
