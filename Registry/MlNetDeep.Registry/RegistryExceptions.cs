namespace MlNetDeep.Registry;

/// <summary>A registry operation could not be done; the message says what and why. Derived types tell the cases apart.</summary>
public class RegistryException : Exception
{
    /// <summary>Creates the exception.</summary>
    public RegistryException(string message, Exception? innerException = null) : base(message, innerException) { }
}

/// <summary>A model, version, alias or artifact does not exist.</summary>
public sealed class RegistryNotFoundException(string message) : RegistryException(message);

/// <summary>The operation conflicts with the registry's state (e.g. deleting a version an alias points to).</summary>
public sealed class RegistryConflictException(string message) : RegistryException(message);

/// <summary>The database role in use may not do the operation (e.g. a read-only role promoting a version).</summary>
public sealed class RegistryPermissionException(string message, Exception? innerException = null) : RegistryException(message, innerException);

/// <summary>A stored artifact is missing or its content no longer matches its SHA-256 hash: it was changed or damaged after registration.</summary>
public sealed class ArtifactIntegrityException(string message) : RegistryException(message);

/// <summary>The database schema does not match this library (newer than it, or a migration changed after it was applied).</summary>
public sealed class RegistrySchemaException(string message) : RegistryException(message);
