// Types for the pure-JS `lz4js` package (it ships none): LZ4 frame compress/decompress.
declare module "lz4js" {
  export function compress(src: Uint8Array, maxSize?: number): Uint8Array;
  export function decompress(src: Uint8Array, maxSize?: number): Uint8Array;
  /** Decodes into `dst`; returns the decoded length. */
  export function decompressFrame(src: Uint8Array, dst: Uint8Array): number;
}
