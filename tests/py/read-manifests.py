#!/usr/bin/python3
"""Reads an Iceberg table's current manifests with Debian's python3-avro, independently of qindex.

Usage: /usr/bin/python3 tests/py/read-manifests.py METADATA_JSON (a path or a file:// URI)

Prints JSON: the current snapshot, its manifest list entries, and for each manifest its Avro
key-value metadata, the field-id attributes of its data_file fields and its entries, with the
bounds of field id 1 (path) decoded as UTF-8. Only the avro package reads the Avro files.
"""

import json
import sys
import urllib.parse

from avro.datafile import DataFileReader
from avro.io import DatumReader

PATH_FIELD_ID = 1


def local_path(location):
    """Table locations are file URIs (percent-escaped); plain paths pass through."""
    if location.startswith("file:"):
        return urllib.parse.unquote(urllib.parse.urlparse(location).path)
    return location


def field_ids(record_schema):
    """The field-id attribute of each field of an Avro record schema, by field name."""
    ids = {}
    for field in record_schema.fields:
        props = getattr(field, "other_props", None) or field.props
        ids[field.name] = props.get("field-id")
    return ids


def metadata(reader):
    return {key: value.decode("utf-8") for key, value in reader.meta.items() if not key.startswith("avro.")}


def bound(pairs):
    """The bound of field id 1 from a map stored as an array of key/value records."""
    for pair in pairs or []:
        if pair["key"] == PATH_FIELD_ID:
            return pair["value"].decode("utf-8")
    return None


def read_manifest(location):
    with open(local_path(location), "rb") as stream:
        reader = DataFileReader(stream, DatumReader())
        try:
            schema = reader.datum_reader.writers_schema
            entry_ids = field_ids(schema)
            data_file_schema = next(f for f in schema.fields if f.name == "data_file").type
            entries = []
            for entry in reader:
                data_file = entry["data_file"]
                entries.append({
                    "status": entry["status"],
                    "snapshot_id": entry["snapshot_id"],
                    "sequence_number": entry["sequence_number"],
                    "file_sequence_number": entry["file_sequence_number"],
                    "content": data_file["content"],
                    "file_path": data_file["file_path"],
                    "file_format": data_file["file_format"],
                    "record_count": data_file["record_count"],
                    "file_size_in_bytes": data_file["file_size_in_bytes"],
                    "lower_path": bound(data_file.get("lower_bounds")),
                    "upper_path": bound(data_file.get("upper_bounds")),
                })
            return {
                "path": location,
                "metadata": metadata(reader),
                "entry_field_ids": entry_ids,
                "data_file_field_ids": field_ids(data_file_schema),
                "entries": entries,
            }
        finally:
            reader.close()


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: read-manifests.py METADATA_JSON")
    with open(local_path(sys.argv[1]), encoding="utf-8") as stream:
        table = json.load(stream)
    current = table["current-snapshot-id"]
    snapshot = next(s for s in table["snapshots"] if s["snapshot-id"] == current)
    with open(local_path(snapshot["manifest-list"]), "rb") as stream:
        reader = DataFileReader(stream, DatumReader())
        try:
            list_ids = field_ids(reader.datum_reader.writers_schema)
            list_metadata = metadata(reader)
            manifest_list = [{
                "manifest_path": m["manifest_path"],
                "content": m["content"],
                "sequence_number": m["sequence_number"],
                "min_sequence_number": m["min_sequence_number"],
                "added_snapshot_id": m["added_snapshot_id"],
                "added_files_count": m["added_files_count"],
                "existing_files_count": m["existing_files_count"],
                "deleted_files_count": m["deleted_files_count"],
                "added_rows_count": m["added_rows_count"],
                "existing_rows_count": m["existing_rows_count"],
                "deleted_rows_count": m["deleted_rows_count"],
            } for m in reader]
        finally:
            reader.close()
    json.dump({
        "format_version": table["format-version"],
        "snapshot_id": current,
        "sequence_number": snapshot.get("sequence-number"),
        "manifest_list_field_ids": list_ids,
        "manifest_list_metadata": list_metadata,
        "manifest_list": manifest_list,
        "manifests": [read_manifest(m["manifest_path"]) for m in manifest_list],
    }, sys.stdout, ensure_ascii=True, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
