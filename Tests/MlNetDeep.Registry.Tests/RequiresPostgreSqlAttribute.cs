namespace MlNetDeep.Registry.Tests;

/// <summary>
/// Runs a test class only when <c>MLNETDEEP_TEST_POSTGRES</c> holds a connection string to a PostgreSQL server the tests
/// may create schemas and roles in (<c>.ci/run</c> starts a throw-away cluster and sets it).
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method)]
public sealed class RequiresPostgreSqlAttribute : ConditionBaseAttribute
{
    public const string Variable = "MLNETDEEP_TEST_POSTGRES";

    public RequiresPostgreSqlAttribute()
        : base(ConditionMode.Include) =>
        IgnoreMessage = $"PostgreSQL tests need a server: set {Variable} to a connection string (.ci/run starts a throw-away cluster and sets it).";

    public static string? ConnectionString => Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value ? value : null;

    public override bool IsConditionMet => ConnectionString is not null;

    public override string GroupName => nameof(RequiresPostgreSqlAttribute);
}
