// Prints the schema elements of one Parquet file's footer as hyparquet reads them, as JSON:
// [{ "name": ..., "repetition_type": "REQUIRED" | "OPTIONAL" | ..., "field_id": ... }, ...].
// Usage: node read-parquet-schema.mjs FILE
import { readFile } from 'node:fs/promises'
import { parquetMetadata } from 'hyparquet'

const [path] = process.argv.slice(2)
if (!path) {
  console.error('usage: node read-parquet-schema.mjs FILE')
  process.exit(2)
}
const bytes = await readFile(path)
const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)
const metadata = parquetMetadata(file)
const schema = metadata.schema.map(e => ({ name: e.name, repetition_type: e.repetition_type ?? null, field_id: e.field_id ?? null }))
process.stdout.write(JSON.stringify(schema, (key, value) => (typeof value === 'bigint' ? value.toString() : value)))
