// Binary-safe JSON for the HTTP and WebSocket transports. IPC uses structured clone and carries typed
// arrays natively; JSON would turn a Float32Array into {"0":..,"1":..}, so typed arrays travel as a
// tagged base64 object instead and are rebuilt on arrival. Platform-free: no Buffer, no atob.
import { z } from 'zod';

const ctors = {
  u8: Uint8Array,
  u16: Uint16Array,
  i32: Int32Array,
  f32: Float32Array,
} as const;
type Tag = keyof typeof ctors;
export type BinaryArray = Uint8Array | Uint16Array | Int32Array | Float32Array;

/** Reserved key: an object `{ $typed: <tag>, b64: <base64> }` on the wire is a typed array. */
const TAG_KEY = '$typed';

/** Contract schemas for binary payloads; any Uint8Array subclass (Node's Buffer) is accepted. */
// z.custom keeps the ArrayBufferLike element type, so Node Buffers and views over shared memory type-check.
export const bytesSchema = z.custom<Uint8Array>((v) => v instanceof Uint8Array, 'expected a Uint8Array');
export const float32Schema = z.custom<Float32Array>((v) => v instanceof Float32Array, 'expected a Float32Array');
export const uint16Schema = z.custom<Uint16Array>((v) => v instanceof Uint16Array, 'expected a Uint16Array');
export const int32Schema = z.custom<Int32Array>((v) => v instanceof Int32Array, 'expected an Int32Array');

function tagOf(v: unknown): Tag | null {
  if (v instanceof Uint8Array) return 'u8';
  if (v instanceof Float32Array) return 'f32';
  if (v instanceof Uint16Array) return 'u16';
  if (v instanceof Int32Array) return 'i32';
  return null;
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const LOOKUP = new Uint8Array(128).fill(255);
for (let i = 0; i < ALPHABET.length; i++) LOOKUP[ALPHABET.charCodeAt(i)] = i;

export function bytesToBase64(bytes: Uint8Array): string {
  const out: string[] = [];
  // Chunks keep String.fromCharCode's argument list short and the intermediate strings small.
  const CHUNK = 0x6000; // multiple of 3
  for (let start = 0; start < bytes.length; start += CHUNK) {
    const end = Math.min(start + CHUNK, bytes.length);
    const codes: number[] = [];
    let i = start;
    for (; i + 2 < end; i += 3) {
      const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
      codes.push(
        ALPHABET.charCodeAt(n >> 18),
        ALPHABET.charCodeAt((n >> 12) & 63),
        ALPHABET.charCodeAt((n >> 6) & 63),
        ALPHABET.charCodeAt(n & 63),
      );
    }
    const rest = end - i;
    if (rest === 1) {
      const n = bytes[i] << 16;
      codes.push(ALPHABET.charCodeAt(n >> 18), ALPHABET.charCodeAt((n >> 12) & 63), 61, 61);
    } else if (rest === 2) {
      const n = (bytes[i] << 16) | (bytes[i + 1] << 8);
      codes.push(ALPHABET.charCodeAt(n >> 18), ALPHABET.charCodeAt((n >> 12) & 63), ALPHABET.charCodeAt((n >> 6) & 63), 61);
    }
    out.push(String.fromCharCode(...codes));
  }
  return out.join('');
}

export function base64ToBytes(b64: string): Uint8Array {
  if (b64.length % 4 !== 0) throw new Error(`base64 length ${b64.length} is not a multiple of 4`);
  const pad = b64.endsWith('==') ? 2 : b64.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((b64.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < b64.length; i += 4) {
    const a = sextet(b64, i);
    const b = sextet(b64, i + 1);
    const c = b64.charCodeAt(i + 2) === 61 ? 0 : sextet(b64, i + 2);
    const d = b64.charCodeAt(i + 3) === 61 ? 0 : sextet(b64, i + 3);
    const n = (a << 18) | (b << 12) | (c << 6) | d;
    if (o < out.length) out[o++] = n >> 16;
    if (o < out.length) out[o++] = (n >> 8) & 255;
    if (o < out.length) out[o++] = n & 255;
  }
  return out;
}

function sextet(s: string, i: number): number {
  const code = s.charCodeAt(i);
  const v = code < 128 ? LOOKUP[code] : 255;
  if (v === 255) throw new Error(`invalid base64 character at ${i}`);
  return v;
}

function encodeTyped(tag: Tag, v: BinaryArray): { [TAG_KEY]: Tag; b64: string } {
  // Views (Node Buffers from the pool, subarrays) are encoded over their own window only.
  return { [TAG_KEY]: tag, b64: bytesToBase64(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)) };
}

function decodeTyped(tag: Tag, b64: string): BinaryArray {
  const bytes = base64ToBytes(b64);
  if (tag === 'u8') return bytes;
  const ctor = ctors[tag];
  if (bytes.byteLength % ctor.BYTES_PER_ELEMENT !== 0) {
    throw new Error(`${tag} payload of ${bytes.byteLength} bytes is not a whole number of elements`);
  }
  // base64ToBytes returns a fresh, offset-0 buffer, so the wider view is aligned.
  return new ctor(bytes.buffer as ArrayBuffer, 0, bytes.byteLength / ctor.BYTES_PER_ELEMENT);
}

const isTagged = (v: unknown): v is { [TAG_KEY]: Tag; b64: string } =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as Record<string, unknown>)[TAG_KEY] === 'string' &&
  Object.hasOwn(ctors, (v as Record<string, unknown>)[TAG_KEY] as string) &&
  typeof (v as Record<string, unknown>).b64 === 'string';

/** Serialises a contract value (request, response, event) for a text transport. */
export function encodeJson(value: unknown): string {
  // The holder's own property is read because JSON.stringify has already applied toJSON (Node's
  // Buffer turns into {type, data}) to the value the replacer is handed.
  return JSON.stringify(value, function (this: Record<string, unknown>, key: string, v: unknown) {
    const raw = this[key];
    const tag = tagOf(raw);
    return tag ? encodeTyped(tag, raw as BinaryArray) : v;
  });
}

/** Parses what encodeJson wrote, rebuilding typed arrays. Throws on malformed JSON or base64. */
export class LongStringError extends Error {}

/**
 * Parses what encodeJson wrote. With `maxString`, any string longer than that (typed-array payloads
 * aside) fails the parse with a LongStringError: no field of the contract is that long, and a megabyte
 * id would otherwise travel through every path join and error message of the handler.
 */
export function decodeJson(text: string, opts: { maxString?: number } = {}): unknown {
  const max = opts.maxString ?? Infinity;
  const tooLong = (s: string): never => {
    throw new LongStringError(`a string field of ${s.length} characters is longer than any field of the contract (${max})`);
  };
  // One walk over the parsed value instead of a JSON.parse reviver: a reviver is called for every one of
  // the 200,000 numbers of a long stroke and doubles the parse time on the server's main thread.
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return v.length > max ? tooLong(v) : v;
    if (typeof v !== 'object' || v === null) return v;
    if (isTagged(v)) return decodeTyped(v[TAG_KEY], v.b64);
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) if (typeof v[i] === 'object' || typeof v[i] === 'string') v[i] = walk(v[i]);
      return v;
    }
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o)) {
      if (k.length > max) tooLong(k);
      const w = walk(o[k]);
      // defineProperty, not assignment: a "__proto__" key from JSON must stay a plain own property.
      if (w !== o[k]) Object.defineProperty(o, k, { value: w, writable: true, enumerable: true, configurable: true });
    }
    return o;
  };
  return walk(JSON.parse(text));
}
