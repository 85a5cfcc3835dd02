// Client-chosen message ids: 22 random characters from a URL-safe alphabet
// (about 131 bits), well within the protocol's 64-character limit.

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

export function randomId(length = 22, rng: (bytes: Uint8Array) => Uint8Array = defaultRng): string {
  const bytes = rng(new Uint8Array(length));
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHABET[bytes[i] & 63];
  return out;
}

function defaultRng(bytes: Uint8Array): Uint8Array {
  if (globalThis.crypto?.getRandomValues) return globalThis.crypto.getRandomValues(bytes);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
  return bytes;
}
