namespace MlNetDeep.Tests;

[TestClass]
public static class TestAssembly
{
    /// <summary>The tests train many small networks; the allocator settings an application opts in to keep them quick.</summary>
    [AssemblyInitialize]
    public static void OptInToAllocatorSettings(TestContext context) => MlNetDeepRuntime.TuneNativeAllocator();
}
