using System.Diagnostics;
using System.Security.Cryptography;
using Microsoft.Extensions.Primitives;
using Microsoft.ML;

namespace MlNetDeep.Serving;

/// <summary>
/// A model.zip file, optionally watched: a change to the file (written in place, or written beside it and renamed over it)
/// fires the reload token once the file has been quiet for <see cref="SettleDelay"/>. The version is the first 16 hex
/// digits of the file's SHA-256, so the same bytes give the same version on every machine.
/// </summary>
/// <remarks>
/// Replace a served file by writing the new one beside it and renaming it over the old one: a reader then never sees half a
/// file. A file written in place is also handled: a partly written file fails to load, is logged, and the next change
/// event loads it again.
/// </remarks>
public sealed class FileModelSource : ModelSource
{
    /// <summary>The default <see cref="SettleDelay"/>: 200 ms.</summary>
    public static readonly TimeSpan DefaultSettleDelay = TimeSpan.FromMilliseconds(200);

    private static readonly IChangeToken NeverChanges = new CancellationChangeToken(CancellationToken.None);

    private readonly FileSystemWatcher? watcher;
    private readonly AutoResetEvent? fileEvent;
    private readonly Thread? settleThread;
    private readonly Lock tokenLock = new();
    private CancellationTokenSource changed = new();
    private long lastEventTimestamp;
    private volatile bool disposed;

    /// <summary>Creates a source for <paramref name="filePath"/>.</summary>
    /// <param name="filePath">The model.zip file; relative paths are resolved against the current directory now.</param>
    /// <param name="watchForChanges">Whether to fire the reload token when the file changes.</param>
    /// <param name="settleDelay">How long the file must be quiet after a change before the token fires (default <see cref="DefaultSettleDelay"/>).</param>
    public FileModelSource(string filePath, bool watchForChanges, TimeSpan? settleDelay = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(filePath);
        if (settleDelay is { } delay && (delay < TimeSpan.Zero || delay > TimeSpan.FromMinutes(1)))
            throw new ArgumentOutOfRangeException(nameof(settleDelay), delay, "settleDelay must be between 0 and 1 minute.");
        FilePath = Path.GetFullPath(filePath);
        WatchForChanges = watchForChanges;
        SettleDelay = settleDelay ?? DefaultSettleDelay;
        if (!watchForChanges)
            return;
        var folder = Path.GetDirectoryName(FilePath)!;
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"Cannot watch '{FilePath}': its folder '{folder}' does not exist.");
        fileEvent = new AutoResetEvent(false);
        // A thread of its own rather than a timer: under heavy request load the thread pool is starved and a timer callback
        // fires seconds late, delaying exactly the reload that is meant to replace the serving model.
        settleThread = new Thread(SettleLoop) { IsBackground = true, Name = $"MlNetDeep model watch {Path.GetFileName(FilePath)}" };
        settleThread.Start();
        // The folder is watched rather than the file, so that a file renamed over the served one is seen too.
        watcher = new FileSystemWatcher(folder)
        {
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.CreationTime,
            IncludeSubdirectories = false,
        };
        watcher.Changed += OnFileEvent;
        watcher.Created += OnFileEvent;
        watcher.Renamed += OnFileEvent;
        // Lost events (buffer overflow) may hide a change: reload to be sure.
        watcher.Error += (_, _) => NoteChange();
        watcher.EnableRaisingEvents = true;
    }

    /// <summary>The full path of the model file.</summary>
    public string FilePath { get; }

    /// <summary>Whether changes to the file fire the reload token.</summary>
    public bool WatchForChanges { get; }

    /// <summary>How long the file must be quiet after a change before the reload token fires.</summary>
    public TimeSpan SettleDelay { get; }

    /// <inheritdoc/>
    public override string Description => $"file {FilePath}";

    /// <inheritdoc/>
    public override IChangeToken GetReloadToken()
    {
        if (!WatchForChanges)
            return NeverChanges;
        lock (tokenLock)
            return new CancellationChangeToken(changed.Token);
    }

    /// <inheritdoc/>
    public override Task<LoadedModel> LoadAsync(MLContext mlContext, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        if (!File.Exists(FilePath))
            throw new FileNotFoundException($"The model file '{FilePath}' does not exist.", FilePath);
        cancellationToken.ThrowIfCancellationRequested();
        // Read once into memory: the version and the model come from the same bytes even if the file changes meanwhile.
        // Read synchronously: a reload runs on its own thread, and an await would hand the rest to a possibly starved pool.
        var bytes = File.ReadAllBytes(FilePath);
        var version = Convert.ToHexStringLower(SHA256.HashData(bytes))[..16];
        try
        {
            using var stream = new MemoryStream(bytes, writable: false);
            var model = mlContext.Model.Load(stream, out var inputSchema);
            return Task.FromResult(new LoadedModel(model, inputSchema, version));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new InvalidDataException($"'{FilePath}' ({bytes.Length} bytes, version {version}) is not a model ML.NET can load: {e.Message}", e);
        }
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            watcher?.Dispose();
            lock (tokenLock)
                disposed = true;
            if (settleThread is not null)
            {
                fileEvent!.Set();
                // A change-token callback may dispose the source on the settle thread itself; that thread then just returns.
                if (Thread.CurrentThread != settleThread)
                {
                    settleThread.Join();
                    fileEvent.Dispose();
                }
            }
        }
        base.Dispose(disposing);
    }

    private void OnFileEvent(object sender, FileSystemEventArgs e)
    {
        if (string.Equals(e.FullPath, FilePath, StringComparison.Ordinal))
            NoteChange();
    }

    private void NoteChange()
    {
        if (disposed)
            return;
        Volatile.Write(ref lastEventTimestamp, Stopwatch.GetTimestamp());
        fileEvent!.Set();
    }

    /// <summary>Waits for a change, then until the file has been quiet for <see cref="SettleDelay"/>, then fires the token.</summary>
    private void SettleLoop()
    {
        while (true)
        {
            fileEvent!.WaitOne();
            TimeSpan quiet;
            while (!disposed && (quiet = Stopwatch.GetElapsedTime(Volatile.Read(ref lastEventTimestamp))) < SettleDelay)
                fileEvent.WaitOne(SettleDelay - quiet);
            if (disposed)
                return;
            SignalChange();
        }
    }

    private void SignalChange()
    {
        CancellationTokenSource fired;
        lock (tokenLock)
        {
            if (disposed)
                return;
            fired = changed;
            changed = new CancellationTokenSource();
        }
        // Not disposed afterwards: a consumer may still register on its token, which must then run at once.
        fired.Cancel();
    }
}
