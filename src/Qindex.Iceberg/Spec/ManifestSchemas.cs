namespace Qindex.Iceberg.Spec;

/// <summary>
/// The Avro schemas of format v2 manifests and manifest lists, with the spec's field ids
/// (spec: "Manifests" and "Manifest Lists"). Maps keyed by int are written, as the spec requires
/// for non-string keys, as arrays of key/value records with <c>logicalType: map</c>.
/// </summary>
internal static class ManifestSchemas
{
    private static string IntLongMap(string name, int fieldId, int keyId, int valueId, string valueType) =>
        $$$"""
        {"name": "{{{name}}}", "type": ["null", {"type": "array", "logicalType": "map", "items": {"type": "record", "name": "k{{{keyId}}}_v{{{valueId}}}", "fields": [{"name": "key", "type": "int", "field-id": {{{keyId}}}}, {"name": "value", "type": "{{{valueType}}}", "field-id": {{{valueId}}}}]}}], "default": null, "field-id": {{{fieldId}}}}
        """;

    public static readonly string ManifestEntry =
        $$$"""
        {"type": "record", "name": "manifest_entry", "fields": [
          {"name": "status", "type": "int", "field-id": 0},
          {"name": "snapshot_id", "type": ["null", "long"], "default": null, "field-id": 1},
          {"name": "sequence_number", "type": ["null", "long"], "default": null, "field-id": 3},
          {"name": "file_sequence_number", "type": ["null", "long"], "default": null, "field-id": 4},
          {"name": "data_file", "field-id": 2, "type": {"type": "record", "name": "r2", "fields": [
            {"name": "content", "type": "int", "field-id": 134},
            {"name": "file_path", "type": "string", "field-id": 100},
            {"name": "file_format", "type": "string", "field-id": 101},
            {"name": "partition", "type": {"type": "record", "name": "r102", "fields": []}, "field-id": 102},
            {"name": "record_count", "type": "long", "field-id": 103},
            {"name": "file_size_in_bytes", "type": "long", "field-id": 104},
            {{{IntLongMap("column_sizes", 108, 117, 118, "long")}}},
            {{{IntLongMap("value_counts", 109, 119, 120, "long")}}},
            {{{IntLongMap("null_value_counts", 110, 121, 122, "long")}}},
            {{{IntLongMap("nan_value_counts", 137, 138, 139, "long")}}},
            {{{IntLongMap("lower_bounds", 125, 126, 127, "bytes")}}},
            {{{IntLongMap("upper_bounds", 128, 129, 130, "bytes")}}},
            {"name": "key_metadata", "type": ["null", "bytes"], "default": null, "field-id": 131},
            {"name": "split_offsets", "type": ["null", {"type": "array", "items": "long", "element-id": 133}], "default": null, "field-id": 132},
            {"name": "equality_ids", "type": ["null", {"type": "array", "items": "int", "element-id": 136}], "default": null, "field-id": 135},
            {"name": "sort_order_id", "type": ["null", "int"], "default": null, "field-id": 140}
          ]}}
        ]}
        """;

    public const string ManifestFile =
        """
        {"type": "record", "name": "manifest_file", "fields": [
          {"name": "manifest_path", "type": "string", "field-id": 500},
          {"name": "manifest_length", "type": "long", "field-id": 501},
          {"name": "partition_spec_id", "type": "int", "field-id": 502},
          {"name": "content", "type": "int", "field-id": 517},
          {"name": "sequence_number", "type": "long", "field-id": 515},
          {"name": "min_sequence_number", "type": "long", "field-id": 516},
          {"name": "added_snapshot_id", "type": "long", "field-id": 503},
          {"name": "added_files_count", "type": "int", "field-id": 504},
          {"name": "existing_files_count", "type": "int", "field-id": 505},
          {"name": "deleted_files_count", "type": "int", "field-id": 506},
          {"name": "added_rows_count", "type": "long", "field-id": 512},
          {"name": "existing_rows_count", "type": "long", "field-id": 513},
          {"name": "deleted_rows_count", "type": "long", "field-id": 514},
          {"name": "partitions", "type": ["null", {"type": "array", "items": {"type": "record", "name": "r508", "fields": [
            {"name": "contains_null", "type": "boolean", "field-id": 509},
            {"name": "contains_nan", "type": ["null", "boolean"], "default": null, "field-id": 518},
            {"name": "lower_bound", "type": ["null", "bytes"], "default": null, "field-id": 510},
            {"name": "upper_bound", "type": ["null", "bytes"], "default": null, "field-id": 511}
          ]}, "element-id": 508}], "default": null, "field-id": 507},
          {"name": "key_metadata", "type": ["null", "bytes"], "default": null, "field-id": 519}
        ]}
        """;
}
