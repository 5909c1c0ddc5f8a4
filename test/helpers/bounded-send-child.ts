// Child process of test/integration/send-bounded-memory.test.ts (issue 16 item 2): one node, one
// multipart letter of MB megabytes posted to its API as a stream, and the largest Buffer this process
// allocates from JavaScript (Buffer.alloc, allocUnsafe, allocUnsafeSlow, concat, from; Node's own
// fs and stream code calls the same functions) between the first byte sent and the 202. A count,
// not a sample: it does not depend on timing or the garbage collector. Prints one JSON line.
//   node --import tsx test/helpers/bounded-send-child.ts <profile> <MB>
const watch = { on: false, largest: 0, where: '' }
for (const name of ['alloc', 'allocUnsafe', 'allocUnsafeSlow', 'concat', 'from'] as const) {
  const original = (Buffer as any)[name] as (...args: unknown[]) => Buffer
  ;(Buffer as any)[name] = function (this: unknown, ...args: unknown[]) {
    const b = original.apply(this, args)
    if (watch.on && b.length > watch.largest) {
      watch.largest = b.length
      watch.where = `Buffer.${name}: ${new Error().stack?.split('\n').slice(2, 6).map((l) => l.trim()).join(' < ')}`
    }
    return b
  }
}

const { randomBytes, createHash } = await import('node:crypto')
const { request } = await import('node:http')
const { testNet, thaiLetter } = await import('./nodes.js')
const { readFileSync } = await import('node:fs')
const kB = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0)

const [profile = 'jose-v1', mbArg = '48'] = process.argv.slice(2)
const size = Number(mbArg) * 1024 * 1024
const net = await testNet(['moi', 'mof'], { profiles: [profile], extra: { limits: { maxAttachmentBytes: size, maxAttachmentsTotalBytes: size, maxApiBodyBytes: Math.max(size + 1024 * 1024, 157286400) } } })
const moi = net.nodes.moi!
await moi.start()
try {
  const boundary = 'bounded' + randomBytes(8).toString('hex')
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="letter"\r\nContent-Type: application/json\r\n\r\n${JSON.stringify(thaiLetter(['mof']))}\r\n` +
    `--${boundary}\r\nContent-Disposition: form-data; name="attachment"; filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`)
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`)
  const url = new URL(moi.apiUrl!)
  const hash = createHash('sha256')
  const rssBefore = kB('VmRSS')
  const t0 = Date.now()
  watch.on = true
  const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path: '/api/v1/letters', method: 'POST', headers: {
      authorization: `Bearer ${moi.apiKey}`, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(head.length + size + tail.length),
    } }, (res) => {
      const parts: Buffer[] = []
      res.on('data', (c: Buffer) => parts.push(c))
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(parts).toString('utf8') }))
    })
    req.on('error', reject)
    let sent = 0
    const pump = (): void => {
      while (sent < size) {
        const piece = randomBytes(Math.min(64 * 1024, size - sent))
        hash.update(piece)
        sent += piece.length
        if (!req.write(piece)) return void req.once('drain', pump)
      }
      req.end(tail)
    }
    req.write(head)
    pump()
  })
  watch.on = false
  const letter = answer.status === 202 ? JSON.parse(answer.body) : undefined
  process.stdout.write(JSON.stringify({
    status: answer.status, largest: watch.largest, where: watch.where, ms: Date.now() - t0, rssBeforeKb: rssBefore, hwmKb: kB('VmHWM'), // informational: not asserted
    manifestSha256: letter?.letter.attachments[0].sha256, sentSha256: hash.digest('hex'), body: answer.status === 202 ? undefined : answer.body.slice(0, 300),
  }) + '\n')
} finally {
  await net.stop()
}
