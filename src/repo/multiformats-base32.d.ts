// multiformats 9 ships types only through `typesVersions`, which NodeNext
// resolution skips for subpaths listed in `exports`: declare the one we use.
declare module 'multiformats/bases/base32' {
  export const base32: { decode(multibase: string): Uint8Array; encode(bytes: Uint8Array): string }
}
