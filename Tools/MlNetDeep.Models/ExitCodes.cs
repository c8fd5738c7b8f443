using MlNetDeep.Registry;

namespace MlNetDeep.Models;

/// <summary>The `models` command's exit codes, for scripts.</summary>
public static class ExitCodes
{
    /// <summary>Done.</summary>
    public const int Success = 0;

    /// <summary>An unexpected error (database unreachable, I/O error, …).</summary>
    public const int Failure = 1;

    /// <summary>Invalid usage: an unknown option, a missing argument, an invalid name.</summary>
    public const int InvalidUsage = 2;

    /// <summary>The registry, model, version or alias does not exist (or the version was deleted).</summary>
    public const int NotFound = 3;

    /// <summary>Refused because of the registry's state (e.g. an archived version cannot be promoted; export target exists).</summary>
    public const int Conflict = 4;

    /// <summary>The database role may not do this (a read-only role promoting).</summary>
    public const int PermissionDenied = 5;

    /// <summary>A stored file is missing or does not match its registered SHA-256.</summary>
    public const int IntegrityFailure = 6;

    /// <summary>The registry's schema is newer than this tool, or needs a migration this connection may not apply.</summary>
    public const int SchemaMismatch = 7;

    internal static int For(Exception exception) => exception switch
    {
        RegistryNotFoundException => NotFound,
        RegistryConflictException => Conflict,
        RegistryPermissionException or UnauthorizedAccessException => PermissionDenied,
        ArtifactIntegrityException => IntegrityFailure,
        RegistrySchemaException => SchemaMismatch,
        ArgumentException or FileNotFoundException or InvalidDataException => InvalidUsage,
        _ => Failure,
    };
}
