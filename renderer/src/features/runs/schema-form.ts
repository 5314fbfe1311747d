// A run form generated from the run config's zod schema: every leaf becomes a field with its kind,
// default, bounds and description; values are validated by the same schema the run process uses, and
// each issue is shown next to its field.
import type { z } from 'zod';

export type FieldKind = 'number' | 'string' | 'boolean' | 'enum' | 'pair' | 'list';

export interface Field {
  path: string[];
  key: string;
  kind: FieldKind;
  optional: boolean;
  default: unknown;
  description: string | undefined;
  options?: string[];
  min?: number;
  max?: number;
  int?: boolean;
  /** The nearest optional object above the field: left out entirely when all its fields are empty. */
  optionalParent?: string;
}

interface ZodInternals {
  _zod: { def: { type: string; innerType?: ZodLike; shape?: Record<string, ZodLike>; defaultValue?: unknown; entries?: Record<string, string>; values?: unknown[]; options?: ZodLike[]; checks?: { _zod: { def: { check: string; value?: number; format?: string } } }[] } };
  description?: string;
  minValue?: number | null;
  maxValue?: number | null;
  isInt?: boolean;
  shape?: Record<string, ZodLike>;
}
type ZodLike = ZodInternals;

const def = (s: ZodLike) => s._zod.def;

/** Peels optional/default/prefault wrappers, collecting what they say. */
function unwrap(s: ZodLike): { inner: ZodLike; optional: boolean; dflt: unknown; description: string | undefined } {
  let cur = s;
  let optional = false;
  let dflt: unknown = undefined;
  let description = s.description;
  for (;;) {
    const d = def(cur);
    if (d.type === 'optional') optional = true;
    else if (d.type === 'default' || d.type === 'prefault') dflt ??= typeof d.defaultValue === 'function' ? (d.defaultValue as () => unknown)() : d.defaultValue;
    else break;
    cur = d.innerType!;
    description ??= cur.description;
  }
  return { inner: cur, optional, dflt, description };
}

export function formFields(schema: z.ZodType, skip: readonly string[] = ['stage']): Field[] {
  const out: Field[] = [];
  const walk = (s: ZodLike, path: string[], parentDefault: unknown, optionalParent: string | undefined) => {
    const { inner, optional, dflt, description } = unwrap(s);
    const d = def(inner);
    const key = path.join('.');
    const fromParent = parentDefault && typeof parentDefault === 'object' ? (parentDefault as Record<string, unknown>)[path[path.length - 1]] : undefined;
    const base = { path, key, optional, default: dflt ?? fromParent, description, optionalParent };
    switch (d.type) {
      case 'object': {
        const shape = d.shape ?? inner.shape ?? {};
        for (const [k, v] of Object.entries(shape)) if (!(path.length === 0 && skip.includes(k))) walk(v, [...path, k], dflt, optional ? key : optionalParent);
        return;
      }
      case 'number':
        out.push({ ...base, kind: 'number', min: inner.minValue ?? undefined, max: inner.maxValue ?? undefined, int: inner.isInt ?? false });
        return;
      case 'boolean':
        out.push({ ...base, kind: 'boolean' });
        return;
      case 'enum':
        out.push({ ...base, kind: 'enum', options: Object.values(d.entries ?? {}) });
        return;
      case 'literal':
        out.push({ ...base, kind: 'enum', options: (d.values ?? []).map(String) });
        return;
      case 'tuple':
        out.push({ ...base, kind: 'pair' });
        return;
      case 'array':
        out.push({ ...base, kind: 'list' });
        return;
      default:
        // strings and unions of strings (e.g. 'fresh' | a run id)
        out.push({ ...base, kind: 'string' });
    }
  };
  walk(schema as unknown as ZodLike, [], undefined, undefined);
  return out;
}

/** Form values are kept as text (numbers, pairs, lists) or booleans, keyed by dotted path. */
export type FormValues = Record<string, string | boolean>;

export function initialValues(fields: readonly Field[]): FormValues {
  const v: FormValues = {};
  for (const f of fields) v[f.key] = toText(f, f.default);
  return v;
}

export function toText(f: Field, value: unknown): string | boolean {
  if (f.kind === 'boolean') return value === true;
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return value.join(f.kind === 'list' ? '\n' : ', ');
  return String(value);
}

/** Builds the config object from form text; empty optional fields are left out. */
export function buildConfig(fields: readonly Field[], values: FormValues, fixed: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...fixed };
  const used = new Set<string>();
  for (const f of fields) {
    // A field the user filled in (not just its default showing) keeps its optional object.
    const text = String(values[f.key] ?? '').trim();
    if (f.optionalParent && f.kind !== 'boolean' && text !== '' && text !== String(toText(f, f.default))) used.add(f.optionalParent);
  }
  for (const f of fields) {
    if (f.optionalParent && !used.has(f.optionalParent)) continue;
    const raw = values[f.key];
    let v: unknown;
    if (f.kind === 'boolean') v = raw === true;
    else {
      const text = String(raw ?? '').trim();
      if (text === '') {
        if (f.optional || f.default !== undefined) continue;
        v = '';
      } else if (f.kind === 'number') v = Number(text);
      else if (f.kind === 'pair') v = text.split(/[,\s]+/).filter(Boolean).map(Number);
      else if (f.kind === 'list') v = text.split('\n').map((s) => s.trim()).filter(Boolean);
      else v = text;
    }
    let node = out;
    for (const p of f.path.slice(0, -1)) node = (node[p] ??= {}) as Record<string, unknown>;
    node[f.path[f.path.length - 1]] = v;
  }
  return out;
}

/** Schema issues by field key; issues on a whole object (e.g. a missing dataset) go to its first field. */
export function validate(schema: z.ZodType, fields: readonly Field[], config: unknown): { ok: boolean; errors: Record<string, string>; value: unknown } {
  const r = schema.safeParse(config);
  if (r.success) return { ok: true, errors: {}, value: r.data };
  const errors: Record<string, string> = {};
  for (const issue of r.error.issues) {
    const key = issue.path.join('.');
    const target = fields.find((f) => f.key === key) ?? fields.find((f) => f.key.startsWith(`${key}.`));
    const k = target?.key ?? (key || '(form)');
    errors[k] ??= issue.message;
  }
  return { ok: false, errors, value: null };
}
