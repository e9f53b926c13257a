// Bundled in place of node:stream/web (esbuild alias, see gateway-functions.ts): @middy/core imports its
// ReadableStream only to test a streamed response (`instanceof`, streamifyResponse, which no function uses),
// and loading that module at init costs the HTTP functions ~1–2 ms of their cold start (test/bench/bundles.bench.ts).
// Node's global ReadableStream is the same class, loaded on first touch; an import of any other name fails the build.

/** `value instanceof ReadableStream` exactly as with node:stream/web's class, which is loaded only when asked. */
export const ReadableStream = {
  [Symbol.hasInstance]: (value: unknown): boolean => value instanceof globalThis.ReadableStream,
};
