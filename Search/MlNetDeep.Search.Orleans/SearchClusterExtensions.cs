using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace MlNetDeep.Search.Orleans;

/// <summary>Registers search plans, the coordinator grain and workers on a silo, and runs a search from a cluster client.</summary>
public static class SearchClusterExtensions
{
    /// <summary>Makes <paramref name="plan"/> known on this silo (every silo that may host the coordinator or a worker needs it).</summary>
    public static ISiloBuilder AddSearchPlan(this ISiloBuilder builder, SearchPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        builder.Services.AddSingleton(plan);
        builder.Services.TryAddSingleton<SearchPlans>();
        return builder;
    }

    /// <summary>Runs trials of the plan named <paramref name="planName"/> on this silo, <paramref name="slots"/> at a time.</summary>
    public static ISiloBuilder AddSearchWorker(this ISiloBuilder builder, string planName, int slots = 1, Action<SearchWorkerOptions>? configure = null)
    {
        if (slots < 1)
            throw new ArgumentException($"A search worker needs at least one slot (got {slots}).", nameof(slots));
        var options = new SearchWorkerOptions { PlanName = planName, Slots = slots };
        configure?.Invoke(options);
        builder.Services.AddSingleton(options);
        builder.Services.AddHostedService<SearchWorker>();
        return builder;
    }

    /// <summary>Waits until the search named <paramref name="planName"/> has finished, reporting its status every <paramref name="poll"/>.</summary>
    public static async Task<ClusterSearchStatus> WaitForSearchAsync(this IGrainFactory grains, string planName, TimeSpan poll,
        IProgress<ClusterSearchStatus>? progress = null, CancellationToken cancellationToken = default)
    {
        var coordinator = grains.GetGrain<ISearchCoordinatorGrain>(planName);
        while (true)
        {
            try
            {
                var status = await coordinator.GetStatus();
                progress?.Report(status);
                if (status.IsFinished)
                    return status;
            }
            catch (Exception e) when (e is TimeoutException or OrleansException or SiloUnavailableException)
            {
                // The coordinator's silo was lost; the grain re-activates elsewhere from the trial table.
            }
            await Task.Delay(poll, cancellationToken);
        }
    }
}
