// The secp256k1 package (libsecp256k1's N-API binding) ships no types;
// declare the two calls Hearth makes of its native entry point.
declare module 'secp256k1/bindings' {
  export function ecdsaSign(msg32: Uint8Array, privateKey: Uint8Array): { signature: Uint8Array; recid: number }
  export function publicKeyCreate(privateKey: Uint8Array, compressed?: boolean): Uint8Array
}
