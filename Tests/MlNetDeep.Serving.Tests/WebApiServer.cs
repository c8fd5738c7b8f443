using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using WebApi;

namespace MlNetDeep.Serving.Tests;

/// <summary>The sample Web API over a test model; in memory by default, or on real Kestrel at a free loopback port.</summary>
internal sealed class WebApiServer : WebApplicationFactory<Program>
{
    private readonly string modelPath;
    private readonly bool batching;

    public WebApiServer(string modelPath, bool batching = false, bool kestrel = false)
    {
        this.modelPath = modelPath;
        this.batching = batching;
        if (!kestrel)
            return;
        UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        StartServer();
        Address = new Uri(Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single());
    }

    /// <summary>The real server's address (Kestrel only).</summary>
    public Uri? Address { get; }

    public PredictionEnginePool<ModelInput, ModelOutput> Pool => Services.GetRequiredService<PredictionEnginePool<ModelInput, ModelOutput>>();

    /// <summary>The JSON body of a /predict request for probe <paramref name="index"/>.</summary>
    public static StringContent Body(int index) =>
        new(JsonSerializer.Serialize(new PredictRequest(TestModels.Probes[index].Features), JsonSerializerOptions.Web), System.Text.Encoding.UTF8, "application/json");

    public static async Task<ModelOutput?> ReadPrediction(HttpResponseMessage response)
    {
        if (!response.IsSuccessStatusCode)
            return null;
        var body = await response.Content.ReadFromJsonAsync<PredictResponse>(JsonSerializerOptions.Web);
        return new ModelOutput { PredictedLabel = body!.PredictedLabel, Score = [.. body.Scores.Values] };
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Model:Path", modelPath);
        builder.UseSetting("Batching:Enabled", batching ? "true" : "false");
        builder.UseEnvironment("Production");
    }
}
