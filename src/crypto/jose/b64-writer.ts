// base64url of a byte stream written chunk by chunk, without concatenating the chunks first. base64
// of a concatenation equals the concatenation of the parts' base64 only when each part but the last
// is a multiple of 3 bytes, so up to 2 bytes are carried (Base64UrlStream; Base64UrlWriter into one buffer).
export class Base64UrlWriter {
  readonly #stream: Base64UrlStream

  /** `observe` sees every region written, in order (e.g. to hash the envelope while it is in cache). */
  constructor(private readonly out: Buffer, private at: number, observe?: (region: Buffer) => void) {
    this.#stream = new Base64UrlStream((region) => {
      const from = this.at
      this.at += region.copy(this.out, from)
      observe?.(this.out.subarray(from, this.at))
    })
  }

  write(chunk: Buffer): void {
    this.#stream.write(chunk)
  }

  /** Flushes the carried bytes; returns the offset just past the last character written. */
  end(): number {
    this.#stream.end()
    return this.at
  }
}

/** The characters go to `emit` as regions (valid only during the call): an envelope sealed straight
 *  into storage (issue 16 item 2); Base64UrlWriter above is this with a buffer for a sink. end()
 *  returns the number of characters emitted. */
export class Base64UrlStream {
  #carry = Buffer.alloc(3)
  #carried = 0
  #chars = 0
  #scratch = Buffer.alloc(0)

  constructor(private readonly emit: (region: Buffer) => void) {}

  write(chunk: Buffer): void {
    let from = 0
    if (this.#carried > 0) {
      from = Math.min(3 - this.#carried, chunk.length)
      chunk.copy(this.#carry, this.#carried, 0, from)
      this.#carried += from
      if (this.#carried < 3) return
      this.#emit(this.#carry)
      this.#carried = 0
    }
    const whole = from + Math.floor((chunk.length - from) / 3) * 3
    if (whole > from) this.#emit(chunk.subarray(from, whole))
    this.#carried = chunk.copy(this.#carry, 0, whole)
  }

  end(): number {
    if (this.#carried > 0) this.#emit(this.#carry.subarray(0, this.#carried))
    this.#carried = 0
    return this.#chars
  }

  #emit(bytes: Buffer): void {
    const need = Math.ceil(bytes.length / 3) * 4
    if (this.#scratch.length < need) this.#scratch = Buffer.allocUnsafeSlow(need) // not the shared pool: ciphertext
    const n = this.#scratch.write(bytes.toString('base64url'), 0, 'latin1')
    this.#chars += n
    this.emit(this.#scratch.subarray(0, n))
  }
}
