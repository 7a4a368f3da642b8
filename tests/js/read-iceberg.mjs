// Reads an Iceberg table with icebird (an implementation qindex did not write) and prints its
// rows as JSON: BigInt values as strings, timestamps as ISO strings.
// Usage: node read-iceberg.mjs METADATA_LOCATION | TABLE_LOCATION
// METADATA_LOCATION is a file:// URI of a metadata JSON file under TABLE/metadata/; given the
// table folder instead, icebird finds the current metadata through metadata/version-hint.text.
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { icebergRead } from 'icebird'

const networkFetch = globalThis.fetch
// icebird and hyparquet read through fetch; local tables are served from disk. A plain 200 with
// the whole file is a valid answer to a range request, which hyparquet handles.
globalThis.fetch = async (url, init) => {
  const text = String(url)
  if (text.startsWith('file:')) {
    return new Response(await readFile(fileURLToPath(text)), { status: 200 })
  }
  return networkFetch(url, init)
}

const [metadataLocation] = process.argv.slice(2)
if (!metadataLocation) {
  console.error('usage: node read-iceberg.mjs METADATA_LOCATION')
  process.exit(2)
}
const marker = '/metadata/'
const cut = metadataLocation.lastIndexOf(marker)
const rows = cut < 0
  ? await icebergRead({ tableUrl: metadataLocation.replace(/\/+$/, '') })
  : await icebergRead({ tableUrl: metadataLocation.slice(0, cut), metadataFileName: metadataLocation.slice(cut + marker.length) })
process.stdout.write(JSON.stringify(rows, (key, value) => (typeof value === 'bigint' ? value.toString() : value)))
