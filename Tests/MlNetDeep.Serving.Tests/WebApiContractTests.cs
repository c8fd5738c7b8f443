using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc;
using WebApi;
using static MlNetDeep.Serving.Tests.TestModels;

namespace MlNetDeep.Serving.Tests;

[TestClass]
public sealed class WebApiContractTests
{
    private static WebApiServer server = null!;
    private static HttpClient client = null!;

    [ClassInitialize]
    public static void Start(TestContext context)
    {
        server = new WebApiServer(FeedForwardA);
        client = server.CreateClient();
    }

    [ClassCleanup]
    public static void Stop()
    {
        client.Dispose();
        server.Dispose();
    }

    [TestMethod]
    public async Task PredictReturnsTheLabelAndEveryClassScoreOfTheModel()
    {
        using var response = await client.PostAsync("/predict", WebApiServer.Body(5));
        Assert.AreEqual(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<PredictResponse>(JsonSerializerOptions.Web);
        Assert.AreEqual(10, body!.Scores.Count);
        CollectionAssert.AreEquivalent(MlNetDeep.IdxImages.FashionMnistClassNames.ToArray(), body.Scores.Keys.ToArray());
        Assert.IsTrue(Same(Expected(FeedForwardA)[5], (await WebApiServer.ReadPrediction(await client.PostAsync("/predict", WebApiServer.Body(5))))!));
        Assert.AreEqual(body.Scores.MaxBy(s => s.Value).Key, body.PredictedLabel);
    }

    [TestMethod]
    public async Task PredictBatchReturnsOnePredictionPerItemInOrder()
    {
        var items = Enumerable.Range(0, 10).Select(i => new PredictRequest(Probes[i].Features)).ToArray();
        using var response = await client.PostAsJsonAsync("/predict/batch", items, JsonSerializerOptions.Web);
        Assert.AreEqual(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<PredictResponse[]>(JsonSerializerOptions.Web);
        Assert.AreEqual(10, body!.Length);
        for (var i = 0; i < 10; i++)
            CollectionAssert.AreEqual(Expected(FeedForwardA)[i].Score, body[i].Scores.Values.ToArray(), $"item {i}");
    }

    [TestMethod]
    public async Task AWrongVectorLengthIsA400NamingTheField()
    {
        var errors = await Problem("/predict", """{"features":[0.1,0.2,0.3]}""");
        StringAssert.Contains(errors["features"][0], "Expected 784 values (28 × 28), got 3");
    }

    [TestMethod]
    public async Task ANaNOrInfinityIsA400NamingTheElement()
    {
        var values = Enumerable.Repeat("0.5", 784).ToArray();
        values[5] = "\"NaN\"";
        values[700] = "\"-Infinity\"";
        var errors = await Problem("/predict", $$"""{"features":[{{string.Join(",", values)}}]}""");
        StringAssert.Contains(errors["features[5]"][0], "NaN is not a finite number");
        StringAssert.Contains(errors["features[700]"][0], "not a finite number");
    }

    [TestMethod]
    public async Task AMissingFieldIsA400NamingTheField()
    {
        var errors = await Problem("/predict", """{"pixels":[1,2]}""");
        StringAssert.Contains(errors["features"][0], "The features field is required");
    }

    [TestMethod]
    public async Task AValueThatIsNotANumberIsA400NamingTheElement()
    {
        var errors = await Problem("/predict", """{"features":[0.5,"dark"]}""");
        StringAssert.Contains(errors["features[1]"][0], "Invalid JSON");
    }

    [TestMethod]
    public async Task ABadBatchItemIsA400NamingItsIndex()
    {
        var good = JsonSerializer.Serialize(new PredictRequest(Probes[0].Features), JsonSerializerOptions.Web);
        var errors = await Problem("/predict/batch", $$"""[{{good}},{"features":[1]}]""");
        StringAssert.Contains(errors["[1].features"][0], "got 1");
        var empty = await Problem("/predict/batch", "[]");
        StringAssert.Contains(empty["$"][0], "1 to 1000 items");
    }

    [TestMethod]
    public async Task ABodyThatIsNotJsonIsRejected()
    {
        using var response = await client.PostAsync("/predict", new StringContent("features=1", Encoding.UTF8, "text/plain"));
        Assert.AreEqual(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        StringAssert.Contains((await Problem("/predict", "{\"features\":")).Keys.Single(), "features");
    }

    [TestMethod]
    public async Task HealthReportsTheLoadedModelVersion()
    {
        using var response = await client.GetAsync("/health");
        Assert.AreEqual(HttpStatusCode.OK, response.StatusCode);
        using var health = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.AreEqual("Healthy", health.RootElement.GetProperty("status").GetString());
        var data = health.RootElement.GetProperty("checks").GetProperty("models").GetProperty("data");
        Assert.AreEqual(server.Pool.GetStatus().Version, data.GetProperty("default.version").GetString());
        StringAssert.Contains(data.GetProperty("default.source").GetString(), FeedForwardA);
    }

    [TestMethod]
    public async Task TheOpenApiDocumentDescribesBothEndpoints()
    {
        using var document = JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json"));
        var paths = document.RootElement.GetProperty("paths");
        Assert.IsTrue(paths.TryGetProperty("/predict", out _));
        Assert.IsTrue(paths.TryGetProperty("/predict/batch", out _));
        Assert.IsTrue(document.RootElement.GetProperty("components").GetProperty("schemas").TryGetProperty("PredictRequest", out _));
    }

    private static async Task<Dictionary<string, string[]>> Problem(string path, string json)
    {
        using var response = await client.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
        Assert.AreEqual(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.AreEqual("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<ValidationProblemDetails>(JsonSerializerOptions.Web);
        return new Dictionary<string, string[]>(problem!.Errors);
    }
}
