using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MlNetDeep;
using MlNetDeep.Search.Orleans;
using MlNetDeep.SearchWorker;

WorkerSettings settings;
try
{
    settings = new WorkerSettings(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

MlNetDeepRuntime.TuneNativeAllocator();
var plan = settings.Plan();
var host = Host.CreateDefaultBuilder()
    .UseOrleans(silo => silo
        .UseLocalhostClustering(settings.SiloPort, settings.GatewayPort,
            settings.PrimaryPort is { } primary ? new IPEndPoint(IPAddress.Loopback, primary) : null)
        .AddSearchPlan(plan)
        .AddSearchWorker(plan.Name, settings.Slots))
    .Build();
await host.StartAsync();
Console.WriteLine($"worker silo on 127.0.0.1:{settings.SiloPort} (gateway {settings.GatewayPort}) serving search '{plan.Name}' with {settings.Slots} slot(s)");
if (settings.ExitWhenFinished)
{
    var status = await host.Services.GetRequiredService<IGrainFactory>().WaitForSearchAsync(plan.Name, TimeSpan.FromSeconds(1));
    Console.WriteLine($"search finished: {status.Trials.Count} trials, best trial {status.BestTrial}");
    await Task.Delay(TimeSpan.FromSeconds(2));
    await host.StopAsync();
}
else
{
    await host.WaitForShutdownAsync();
}
return 0;
