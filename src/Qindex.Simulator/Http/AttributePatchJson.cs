using System.Globalization;
using System.Text.Json;
using Qindex.Simulator.Model;

namespace Qindex.Simulator.Http;

/// <summary>
/// Reads the body of <c>PATCH /v1/files/{ref}/info/attributes</c> into an <see cref="AttributePatch"/>.
/// The body has the attribute object's shape; fields the cluster computes (path, id, blocks, ...)
/// are ignored so a client may send back what it read, a field set to null is left unchanged, and
/// anything else that is not a valid value answers 400.
/// </summary>
internal static class AttributePatchJson
{
    private static readonly HashSet<string> ReadOnlyFields =
    [
        "path", "name", "num_links", "type", "major_minor_numbers", "symlink_target_type", "file_number", "id",
        "blocks", "datablocks", "metablocks", "child_count", "directory_entry_hash_policy", "data_revision", "user_metadata_revision",
    ];

    public static AttributePatch Read(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            throw ClusterException.BadRequest("the body must be a JSON object of attributes");
        }

        var patch = new AttributePatch();
        foreach (var field in body.EnumerateObject())
        {
            if (field.Value.ValueKind == JsonValueKind.Null || ReadOnlyFields.Contains(field.Name))
            {
                continue;
            }

            patch = field.Name switch
            {
                "mode" => patch with { Mode = ApiNames.ParseMode(Text(field)) },
                "owner" => patch with { Owner = Number(field) },
                "group" => patch with { Group = Number(field) },
                "owner_details" => patch with { OwnerDetails = ReadIdentity(field) },
                "group_details" => patch with { GroupDetails = ReadIdentity(field) },
                "size" => patch with { Size = Number(field) },
                "access_time" => patch with { AccessTime = FsTimestamp.Parse(Text(field)) },
                "modification_time" => patch with { ModificationTime = FsTimestamp.Parse(Text(field)) },
                "change_time" => patch with { ChangeTime = FsTimestamp.Parse(Text(field)) },
                "creation_time" => patch with { CreationTime = FsTimestamp.Parse(Text(field)) },
                "extended_attributes" => patch with { ExtendedAttributesChange = ReadExtendedAttributes(field) },
                _ => throw ClusterException.BadRequest($"'{field.Name}' is not an attribute"),
            };
        }

        return patch;
    }

    private static string Text(JsonProperty field) =>
        field.Value.ValueKind == JsonValueKind.String
            ? field.Value.GetString()!
            : throw ClusterException.BadRequest($"'{field.Name}' must be a string");

    private static long Number(JsonProperty field)
    {
        // Numbers travel as strings; a bare JSON number is tolerated as well.
        var text = field.Value.ValueKind == JsonValueKind.Number ? field.Value.GetRawText() : Text(field);
        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw ClusterException.BadRequest($"'{field.Name}' must be a non-negative decimal number, got '{text}'");
    }

    private static Identity ReadIdentity(JsonProperty field)
    {
        var value = field.Value;
        if (value.ValueKind != JsonValueKind.Object
            || !value.TryGetProperty("id_type", out var type) || type.ValueKind != JsonValueKind.String
            || !value.TryGetProperty("id_value", out var id) || id.ValueKind != JsonValueKind.String
            || string.IsNullOrEmpty(id.GetString()))
        {
            throw ClusterException.BadRequest($"'{field.Name}' must be an object with string id_type and id_value");
        }

        return new Identity(ApiNames.ParseIdentityType(type.GetString()!), id.GetString()!);
    }

    /// <summary>Flags absent from the body keep their current value (the model applies the change under its write gate).</summary>
    private static ExtendedAttributesChange ReadExtendedAttributes(JsonProperty field)
    {
        if (field.Value.ValueKind != JsonValueKind.Object)
        {
            throw ClusterException.BadRequest("'extended_attributes' must be an object of booleans");
        }

        var result = new ExtendedAttributesChange();
        foreach (var flag in field.Value.EnumerateObject())
        {
            if (flag.Value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            {
                throw ClusterException.BadRequest($"extended_attributes.{flag.Name} must be a boolean");
            }

            result = WithFlag(result, flag.Name, flag.Value.GetBoolean());
        }

        return result;
    }

    /// <summary>Sets one extended attribute flag by its API name; an unknown name is a bad request.</summary>
    public static ExtendedAttributesChange WithFlag(ExtendedAttributesChange result, string name, bool on) =>
            name switch
            {
                "read_only" => result with { ReadOnly = on },
                "hidden" => result with { Hidden = on },
                "system" => result with { System = on },
                "archive" => result with { Archive = on },
                "temporary" => result with { Temporary = on },
                "compressed" => result with { Compressed = on },
                "not_content_indexed" => result with { NotContentIndexed = on },
                "sparse_file" => result with { SparseFile = on },
                "offline" => result with { Offline = on },
                _ => throw ClusterException.BadRequest($"'{name}' is not an extended attribute"),
            };
}
