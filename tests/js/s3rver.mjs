// Starts s3rver (an S3 implementation qindex did not write) on a free loopback port, with AWS
// signature checking on, and prints {"endpoint": ..., "accessKeyId": ..., "secretAccessKey": ...}
// on one line. Stops when its standard input closes, so a test that dies takes it along.
// Usage: node s3rver.mjs DIRECTORY BUCKET...
import S3rver from 's3rver'

const [directory, ...buckets] = process.argv.slice(2)
if (!directory) {
  console.error('usage: node s3rver.mjs DIRECTORY BUCKET...')
  process.exit(2)
}
const server = new S3rver({
  address: '127.0.0.1',
  port: 0,
  silent: true,
  directory,
  allowMismatchedSignatures: false,
  configureBuckets: buckets.map(name => ({ name })),
})
const { port } = await server.run()
// s3rver's built-in account; requests signed with any other secret are refused.
process.stdout.write(JSON.stringify({ endpoint: `http://127.0.0.1:${port}`, accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }) + '\n')
process.stdin.resume()
process.stdin.on('end', async () => {
  await server.close()
  process.exit(0)
})
