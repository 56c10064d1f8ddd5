/**
 * Reads a response body whole, but never more than `maxBytes` of it: a
 * declared length past the limit is refused before reading, and a body that
 * grows past it is cancelled as soon as it does (documents named by
 * strangers: client metadata, JWKS, permission sets).
 *
 * @example
 * const bytes = await readBodyWithin(await fetchPublic(url), 64 * 1024)
 */
export class BodyTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`the answer is larger than ${maxBytes} bytes`)
  }
}

export async function readBodyWithin(res: Response, maxBytes: number): Promise<Uint8Array> {
  if (Number(res.headers.get('content-length') ?? 0) > maxBytes) {
    await res.body?.cancel().catch(() => {})
    throw new BodyTooLargeError(maxBytes)
  }
  const reader = res.body?.getReader()
  if (!reader) return new Uint8Array()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.length
    if (size > maxBytes) {
      await reader.cancel().catch(() => {})
      throw new BodyTooLargeError(maxBytes)
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks)
}
