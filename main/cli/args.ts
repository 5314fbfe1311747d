// Small helpers over node:util parseArgs so every command reports usage errors the same way.
import { parseArgs, type ParseArgsConfig } from 'node:util';

export class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig['options']>;

export function parse<O extends Options>(argv: string[], options: O, positionals = 0) {
  let res;
  try {
    res = parseArgs({ args: argv, options: { json: { type: 'boolean' }, workspace: { type: 'string' }, ...options }, allowPositionals: positionals > 0, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (res.positionals.length > positionals) throw new UsageError(`unexpected argument "${res.positionals[positionals]}"`);
  return res;
}

export function intOption(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new UsageError(`--${name} expects a non-negative integer, got "${v}"`);
  return Number(v);
}

export const workspaceOf = (v: string | undefined): string => v ?? process.env.PRODA_WORKSPACE ?? process.cwd();

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function outputMode(json: boolean | undefined): 'tty' | 'plain' | 'silent' {
  if (json) return 'silent';
  return process.stderr.isTTY ? 'tty' : 'plain';
}
