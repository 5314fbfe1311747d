// A Python pickle reader that never runs code. Python's unpickler resolves GLOBAL opcodes to
// arbitrary callables and calls them on REDUCE; that is how a checkpoint can run `os.system`.
// Here every global must be on an explicit allow-list of pure data constructors supplied by
// the caller; anything else stops the load with a message naming the global.

/** A Python global reference the caller may turn into data. */
export interface PyGlobal {
  readonly kind: 'global';
  readonly module: string;
  readonly name: string;
}

/** A Python dict. Keys are kept as JS values (strings, numbers, bigints). */
export type PyDict = Map<unknown, unknown>;

/** What a REDUCE / NEWOBJ on an allowed global produces. */
export type Constructor = (args: unknown[]) => unknown;

export interface UnpickleOptions {
  /** `module.name` → constructor; the only globals the stream may use. */
  globals: Readonly<Record<string, Constructor | PyGlobal | 'class'>>;
  /** Resolves persistent ids (torch storages). Without it a persistent id is an error. */
  persistentLoad?: (pid: unknown) => unknown;
  /** BUILD on a constructed object: apply state. Defaults to ignoring dict/attribute state on Maps. */
  build?: (obj: unknown, state: unknown) => unknown;
  /** Names the file in error messages. */
  source?: string;
}

export class PickleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PickleError';
  }
}

/** A global that is allowed only as a class reference (e.g. a storage type passed to a persistent id). */
const pyClass = (module: string, name: string): PyGlobal => ({ kind: 'global', module, name });

export const isPyGlobal = (v: unknown): v is PyGlobal =>
  typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'global';

/** Python 2 module names that protocol-2 pickles from Python 3 still spell the old way. */
const MODULE_ALIASES: Record<string, string> = { __builtin__: 'builtins', copy_reg: 'copyreg' };

class Reader {
  pos = 0;
  private readonly view: DataView;
  constructor(
    private readonly buf: Uint8Array,
    private readonly source: string,
  ) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  need(n: number): void {
    if (this.pos + n > this.buf.length) throw new PickleError(`${this.source}: pickle truncated at byte ${this.pos}`);
  }
  u8(): number {
    this.need(1);
    return this.buf[this.pos++];
  }
  u16(): number {
    this.need(2);
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }
  i32(): number {
    this.need(4);
    const v = this.view.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  u64(): number {
    this.need(8);
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new PickleError(`${this.source}: length ${v} too large`);
    return Number(v);
  }
  f64be(): number {
    this.need(8);
    const v = this.view.getFloat64(this.pos, false);
    this.pos += 8;
    return v;
  }
  bytes(n: number): Uint8Array {
    this.need(n);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  line(): string {
    const end = this.buf.indexOf(0x0a, this.pos);
    if (end < 0) throw new PickleError(`${this.source}: unterminated text line at byte ${this.pos}`);
    const s = latin1(this.buf.subarray(this.pos, end));
    this.pos = end + 1;
    return s;
  }
}

const utf8 = new TextDecoder('utf-8');
const latin1 = (b: Uint8Array): string => {
  let s = '';
  for (let i = 0; i < b.length; i += 4096) s += String.fromCharCode(...b.subarray(i, i + 4096));
  return s;
};

/** Little-endian two's complement bytes (LONG1/LONG4) as a number when safe, else a bigint. */
function decodeLong(b: Uint8Array): number | bigint {
  if (b.length === 0) return 0;
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
  if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

function parseTextInt(s: string): number | bigint | boolean {
  const t = s.trim().replace(/L$/, '');
  if (t === '00') return false;
  if (t === '01') return true;
  const v = BigInt(t);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/** Python repr-quoted string (protocol 0 STRING) without evaluating anything. */
function parseQuoted(s: string): string {
  const q = s[0];
  if ((q !== "'" && q !== '"') || s[s.length - 1] !== q) throw new PickleError(`bad quoted string ${s.slice(0, 40)}`);
  return s.slice(1, -1).replace(/\\(x[0-9a-fA-F]{2}|.)/g, (_m, e: string) => {
    if (e[0] === 'x') return String.fromCharCode(parseInt(e.slice(1), 16));
    return ({ n: '\n', r: '\r', t: '\t', '\\': '\\', "'": "'", '"': '"' } as Record<string, string>)[e] ?? `\\${e}`;
  });
}

/**
 * Runs the pickle stream in `data` and returns the top object. Dicts become Maps, lists and tuples
 * arrays (tuples frozen), ints numbers (bigint beyond 2^53), bytes Uint8Array, None null.
 */
export function unpickle(data: Uint8Array, opts: UnpickleOptions): unknown {
  return unpickleAt(data, 0, opts).value;
}

/** Like `unpickle` but starts at `offset` and reports where the pickle ended (legacy torch files hold several in a row). */
export function unpickleAt(data: Uint8Array, offset: number, opts: UnpickleOptions): { value: unknown; end: number } {
  const source = opts.source ?? 'pickle';
  const r = new Reader(data, source);
  r.pos = offset;
  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();

  const fail = (msg: string): never => {
    throw new PickleError(`${source}: ${msg}`);
  };
  const pop = (): unknown => {
    if (stack.length === 0 || (marks.length && stack.length <= marks[marks.length - 1])) fail('stack underflow');
    return stack.pop();
  };
  const top = (): unknown => {
    if (stack.length === 0) fail('stack underflow');
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const m = marks.pop();
    if (m === undefined) fail('MARK missing');
    const items = stack.splice(m as number);
    return items;
  };
  const resolveGlobal = (moduleRaw: string, name: string): unknown => {
    const module = MODULE_ALIASES[moduleRaw] ?? moduleRaw;
    const key = `${module}.${name}`;
    const entry = opts.globals[key];
    if (entry === undefined) {
      fail(`refusing to load global '${key}': not on the allow-list of data types (this file may contain code)`);
    }
    if (entry === 'class') return pyClass(module, name);
    if (typeof entry === 'function') return { kind: 'global', module, name, construct: entry };
    return entry;
  };
  const call = (fn: unknown, args: unknown): unknown => {
    if (!isPyGlobal(fn)) return fail(`REDUCE on a non-callable ${describe(fn)}`);
    const construct = (fn as PyGlobal & { construct?: Constructor }).construct;
    if (!construct) return fail(`'${fn.module}.${fn.name}' is allowed only as a type reference, not called`);
    if (!Array.isArray(args)) return fail(`REDUCE arguments for '${fn.module}.${fn.name}' are not a tuple`);
    return construct(args);
  };
  const setItems = (d: unknown, kv: unknown[]): void => {
    if (!(d instanceof Map)) fail(`SETITEM on a non-dict ${describe(d)}`);
    for (let i = 0; i + 1 < kv.length; i += 2) (d as PyDict).set(kv[i], kv[i + 1]);
  };
  const memoPut = (i: number, v: unknown): void => {
    memo.set(i, v);
  };
  const memoGet = (i: number): unknown => {
    if (!memo.has(i)) fail(`memo key ${i} missing`);
    return memo.get(i);
  };

  for (;;) {
    const op = r.u8();
    switch (op) {
      case 0x80: // PROTO
        if (r.u8() > 5) fail('unsupported pickle protocol');
        break;
      case 0x95: // FRAME: frames are only a buffering hint
        r.u64();
        break;
      case 0x2e: // STOP
        if (stack.length !== 1) fail(`STOP with ${stack.length} values on the stack`);
        return { value: stack[0], end: r.pos };
      case 0x28: // MARK
        marks.push(stack.length);
        break;
      case 0x30: // POP
        if (marks.length && marks[marks.length - 1] === stack.length) marks.pop();
        else pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4a: // BININT
        stack.push(r.i32());
        break;
      case 0x4b: // BININT1
        stack.push(r.u8());
        break;
      case 0x4d: // BININT2
        stack.push(r.u16());
        break;
      case 0x8a: // LONG1
        stack.push(decodeLong(r.bytes(r.u8())));
        break;
      case 0x8b: {
        // LONG4
        const n = r.i32();
        if (n < 0) fail('negative LONG4 length');
        stack.push(decodeLong(r.bytes(n)));
        break;
      }
      case 0x49: // INT (text)
        stack.push(parseTextInt(r.line()));
        break;
      case 0x4c: // LONG (text)
        stack.push(parseTextInt(r.line()));
        break;
      case 0x47: // BINFLOAT
        stack.push(r.f64be());
        break;
      case 0x46: // FLOAT (text)
        stack.push(Number.parseFloat(r.line()));
        break;
      case 0x58: // BINUNICODE
        stack.push(utf8.decode(r.bytes(r.u32())));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(utf8.decode(r.bytes(r.u8())));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(utf8.decode(r.bytes(r.u64())));
        break;
      case 0x56: // UNICODE (raw-unicode-escape text)
        stack.push(r.line().replace(/\\u([0-9a-fA-F]{4})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))));
        break;
      case 0x55: // SHORT_BINSTRING (py2 str: bytes decoded as latin-1, like encoding='latin1')
        stack.push(latin1(r.bytes(r.u8())));
        break;
      case 0x54: // BINSTRING
        stack.push(latin1(r.bytes(r.u32())));
        break;
      case 0x53: // STRING (text)
        stack.push(parseQuoted(r.line()));
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(r.bytes(r.u8()).slice());
        break;
      case 0x42: // BINBYTES
        stack.push(r.bytes(r.u32()).slice());
        break;
      case 0x8e: // BINBYTES8
        stack.push(r.bytes(r.u64()).slice());
        break;
      case 0x96: // BYTEARRAY8
        stack.push(r.bytes(r.u64()).slice());
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push(Object.freeze([]));
        break;
      case 0x8f: // EMPTY_SET
        stack.push(new Set());
        break;
      case 0x64: {
        // DICT
        const items = popMark();
        const d = new Map();
        setItems(d, items);
        stack.push(d);
        break;
      }
      case 0x6c: // LIST
        stack.push(popMark());
        break;
      case 0x74: // TUPLE
        stack.push(Object.freeze(popMark()));
        break;
      case 0x85: // TUPLE1
        stack.push(Object.freeze([pop()]));
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        const a = pop();
        stack.push(Object.freeze([a, b]));
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        const a = pop();
        stack.push(Object.freeze([a, b, c]));
        break;
      }
      case 0x91: // FROZENSET
        stack.push(new Set(popMark()));
        break;
      case 0x90: {
        // ADDITEMS
        const items = popMark();
        const s = top();
        if (!(s instanceof Set)) fail('ADDITEMS on a non-set');
        for (const it of items) (s as Set<unknown>).add(it);
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x61: {
        // APPEND
        const v = pop();
        const l = top();
        if (!Array.isArray(l) || Object.isFrozen(l)) fail('APPEND on a non-list');
        (l as unknown[]).push(v);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        const l = top();
        if (!Array.isArray(l) || Object.isFrozen(l)) fail('APPENDS on a non-list');
        (l as unknown[]).push(...items);
        break;
      }
      case 0x71: // BINPUT
        memoPut(r.u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memoPut(r.u32(), top());
        break;
      case 0x70: // PUT (text)
        memoPut(Number(r.line()), top());
        break;
      case 0x94: // MEMOIZE
        memoPut(memo.size, top());
        break;
      case 0x68: // BINGET
        stack.push(memoGet(r.u8()));
        break;
      case 0x6a: // LONG_BINGET
        stack.push(memoGet(r.u32()));
        break;
      case 0x67: // GET (text)
        stack.push(memoGet(Number(r.line())));
        break;
      case 0x63: {
        // GLOBAL (text "module\nname\n")
        const module = r.line();
        const name = r.line();
        stack.push(resolveGlobal(module, name));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL needs two strings');
        stack.push(resolveGlobal(module as string, name as string));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        const fn = pop();
        stack.push(call(fn, args));
        break;
      }
      case 0x81: {
        // NEWOBJ: cls.__new__(cls, *args); only allowed constructors can get here
        const args = pop();
        const cls = pop();
        stack.push(call(cls, args));
        break;
      }
      case 0x92: {
        // NEWOBJ_EX
        const kwargs = pop();
        const args = pop();
        const cls = pop();
        if (kwargs instanceof Map && kwargs.size) fail('NEWOBJ_EX keyword arguments are not supported');
        stack.push(call(cls, args));
        break;
      }
      case 0x62: {
        // BUILD
        const state = pop();
        const obj = pop();
        stack.push(opts.build ? opts.build(obj, state) : defaultBuild(obj, state, source));
        break;
      }
      case 0x51: {
        // BINPERSID
        const pid = pop();
        if (!opts.persistentLoad) fail('persistent id found but no storage resolver given');
        stack.push(opts.persistentLoad!(pid));
        break;
      }
      case 0x50: {
        // PERSID (text)
        const pid = r.line();
        if (!opts.persistentLoad) fail('persistent id found but no storage resolver given');
        stack.push(opts.persistentLoad!(pid));
        break;
      }
      case 0x69: // INST: instantiates module.name directly
      case 0x6f: // OBJ
        if (op === 0x69) {
          const module = r.line();
          const name = r.line();
          const args = popMark();
          stack.push(call(resolveGlobal(module, name), args));
        } else {
          const items = popMark();
          stack.push(call(items[0], items.slice(1)));
        }
        break;
      case 0x82:
      case 0x83:
      case 0x84: // EXT1/2/4: the copyreg extension registry maps codes to arbitrary globals
        fail('extension-registry opcodes (EXT1/2/4) are refused');
        break;
      case 0x97:
      case 0x98: // NEXT_BUFFER / READONLY_BUFFER: out-of-band buffers
        fail('out-of-band pickle buffers are not supported');
        break;
      default:
        fail(`unknown pickle opcode 0x${op.toString(16)} at byte ${r.pos - 1}`);
    }
  }
}

/** BUILD state on objects we made: dict state on a Map (e.g. OrderedDict._metadata) is kept as a property. */
function defaultBuild(obj: unknown, state: unknown, source: string): unknown {
  if (obj instanceof Map) {
    const holder = obj as Map<unknown, unknown> & { pyState?: unknown };
    holder.pyState = state;
    return obj;
  }
  if (typeof obj === 'object' && obj !== null && !Array.isArray(obj)) {
    (obj as { pyState?: unknown }).pyState = state;
    return obj;
  }
  throw new PickleError(`${source}: BUILD on ${describe(obj)}`);
}

export function describe(v: unknown): string {
  if (v === null) return 'None';
  if (isPyGlobal(v)) return `${v.module}.${v.name}`;
  if (v instanceof Map) return 'dict';
  if (Array.isArray(v)) return Object.isFrozen(v) ? 'tuple' : 'list';
  return typeof v;
}
