using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Microsoft.ML.Data;

namespace MlNetDeep.Registry;

/// <summary>
/// Turns an options object (a trainer's Options class, an anonymous object, a record) into the JSON a version records
/// as its hyperparameters, with System.Text.Json. Members that are not settings (callbacks' delegates, progress
/// reporters, cancellation tokens, streams, types) are left out; a member declared as an abstract class or an interface
/// is written as the object it holds, and an object of a derived class carries its class name as <c>"$type"</c>, so a
/// <c>CosineSchedule</c> in a <c>LearningRateSchedule</c> property is recorded with its own settings.
/// System.Text.Json attributes on the options (<c>[JsonIgnore]</c>, <c>[JsonPropertyName]</c>) are honoured.
/// </summary>
public static class HyperparameterJson
{
    private const string TypeProperty = "$type";

    /// <summary>The options used for objects given to the registry: enums as names, NaN and infinities allowed, cycles cut.</summary>
    public static JsonSerializerOptions SerializerOptions { get; } = CreateOptions();

    /// <summary>
    /// <paramref name="options"/> as a JSON object: itself when it is a <see cref="JsonObject"/>, a deep copy of it when
    /// it is another JSON node holding an object, else its System.Text.Json serialization.
    /// </summary>
    /// <exception cref="ArgumentException">The value is not an object (a number, string or array), or it cannot be serialized; the message names the type.</exception>
    public static JsonObject From(object options)
    {
        ArgumentNullException.ThrowIfNull(options);
        JsonNode? node;
        try
        {
            node = options switch
            {
                JsonObject json => json,
                JsonNode other => other.DeepClone(),
                JsonDocument document => JsonNode.Parse(document.RootElement.GetRawText()),
                JsonElement element => JsonNode.Parse(element.GetRawText()),
                _ => JsonSerializer.SerializeToNode(options, options.GetType(), SerializerOptions),
            };
        }
        catch (Exception e) when (e is NotSupportedException or InvalidOperationException or JsonException)
        {
            throw new ArgumentException($"Hyperparameters of type {options.GetType().Name} cannot be written as JSON: {e.Message}", nameof(options), e);
        }
        return node as JsonObject
            ?? throw new ArgumentException($"Hyperparameters must be a JSON object (name → value); {options.GetType().Name} gives {node?.GetValueKind().ToString() ?? "null"}.", nameof(options));
    }

    /// <summary>The value as a JSON node with <see cref="SerializerOptions"/>, for reports and history records of any type.</summary>
    public static JsonNode? ToNode(object? value) => value switch
    {
        null => null,
        JsonNode node => node.Parent is null ? node : node.DeepClone(),
        _ => JsonSerializer.SerializeToNode(value, value.GetType(), SerializerOptions),
    };

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions
        {
            NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
            ReferenceHandler = ReferenceHandler.IgnoreCycles,
            TypeInfoResolver = new DefaultJsonTypeInfoResolver { Modifiers = { KeepSettingsOnly } },
            MaxDepth = 32,
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        };
        options.Converters.Add(new JsonStringEnumConverter());
        options.Converters.Add(new DataViewTypeConverter());
        options.Converters.Add(new OpaqueValueConverterFactory());
        options.MakeReadOnly();
        return options;
    }

    /// <summary>Writes ML.NET column types as ML.NET names them ("Vector&lt;Single, 784&gt;"), not as their object graphs.</summary>
    private sealed class DataViewTypeConverter : JsonConverter<DataViewType>
    {
        public override bool CanConvert(Type typeToConvert) => typeof(DataViewType).IsAssignableFrom(typeToConvert);

        public override DataViewType Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            throw new NotSupportedException("Column types are recorded as text only.");

        public override void Write(Utf8JsonWriter writer, DataViewType value, JsonSerializerOptions options) =>
            writer.WriteStringValue(value.ToString() ?? value.RawType.Name);
    }

    /// <summary>
    /// Writes an object with no public properties but its own <c>ToString</c> (e.g. a device choice whose state is
    /// internal) as that text, since as an object it would be written as <c>{}</c>.
    /// </summary>
    private sealed class OpaqueValueConverterFactory : JsonConverterFactory
    {
        public override bool CanConvert(Type typeToConvert) =>
            typeToConvert.IsClass && typeToConvert != typeof(string) && !typeToConvert.IsAbstract
            && !typeof(System.Collections.IEnumerable).IsAssignableFrom(typeToConvert) && !typeof(JsonNode).IsAssignableFrom(typeToConvert)
            && typeToConvert.GetProperties(BindingFlags.Public | BindingFlags.Instance).Length == 0
            && typeToConvert.GetMethod(nameof(ToString), Type.EmptyTypes)?.DeclaringType is { } declaring && declaring != typeof(object);

        public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
            (JsonConverter)Activator.CreateInstance(typeof(TextConverter<>).MakeGenericType(typeToConvert))!;

        private sealed class TextConverter<T> : JsonConverter<T>
        {
            public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
                throw new NotSupportedException($"{typeof(T).Name} is recorded as text only.");

            public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) =>
                writer.WriteStringValue(value?.ToString());
        }
    }

    private static void KeepSettingsOnly(JsonTypeInfo typeInfo)
    {
        if (typeInfo.Kind != JsonTypeInfoKind.Object)
            return;
        for (var i = typeInfo.Properties.Count - 1; i >= 0; i--)
        {
            var property = typeInfo.Properties[i];
            if (!IsSetting(property.PropertyType))
                typeInfo.Properties.RemoveAt(i);
            else if (IsPolymorphic(property.PropertyType) && property.Get is { } get)
            {
                // Declared as an abstract class or interface: write the object's own members, not the declared type's.
                var asObject = typeInfo.CreateJsonPropertyInfo(typeof(object), property.Name);
                asObject.Get = get;
                typeInfo.Properties[i] = asObject;
            }
        }
        if (typeInfo.Type.IsClass && typeInfo.Type.BaseType is { } baseType && baseType != typeof(object))
        {
            var typeName = typeInfo.CreateJsonPropertyInfo(typeof(string), TypeProperty);
            var name = typeInfo.Type.Name;
            typeName.Get = _ => name;
            typeName.Order = -1;
            typeInfo.Properties.Insert(0, typeName);
        }
    }

    private static bool IsSetting(Type type)
    {
        var t = Nullable.GetUnderlyingType(type) ?? type;
        if (t == typeof(CancellationToken) || t == typeof(Type) || t == typeof(IntPtr) || t == typeof(UIntPtr)
            || typeof(Delegate).IsAssignableFrom(t) || typeof(WaitHandle).IsAssignableFrom(t) || typeof(Stream).IsAssignableFrom(t)
            || typeof(Task).IsAssignableFrom(t) || typeof(MemberInfo).IsAssignableFrom(t) || typeof(Assembly).IsAssignableFrom(t))
            return false;
        return !IsProgressReporter(t);
    }

    private static bool IsProgressReporter(Type type) =>
        (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IProgress<>))
        || type.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IProgress<>));

    private static bool IsPolymorphic(Type type) =>
        (type.IsInterface || type.IsAbstract) && type != typeof(string) && !typeof(System.Collections.IEnumerable).IsAssignableFrom(type);
}
