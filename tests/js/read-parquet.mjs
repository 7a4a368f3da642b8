// Reads one Parquet file with hyparquet and prints its rows as JSON (BigInt as strings).
// Usage: node read-parquet.mjs FILE
import { readFile } from 'node:fs/promises'
import { parquetReadObjects } from 'hyparquet'
import { compressors } from 'hyparquet-compressors'

const [path] = process.argv.slice(2)
if (!path) {
  console.error('usage: node read-parquet.mjs FILE')
  process.exit(2)
}
const bytes = await readFile(path)
const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)
const rows = await parquetReadObjects({ file, compressors })
process.stdout.write(JSON.stringify(rows, (key, value) => (typeof value === 'bigint' ? value.toString() : value)))
