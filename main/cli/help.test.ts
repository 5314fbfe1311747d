import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EXIT } from './exit-codes';
import { COMMANDS, GROUPS } from './help';
import { cli } from '../testing/run-cli';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The command words a dispatcher switches on, read from its source so a new command cannot skip its help. */
const casesIn = (file: string): string[] =>
  [...readFileSync(path.join(here, file), 'utf8').matchAll(/case '([a-z][a-z-]*)':/g)].map((m) => m[1]).filter((c) => c !== 'help');

describe('proda <command> --help', () => {
  it('every dispatched command and subcommand has a help entry', () => {
    const names = new Set(COMMANDS.map((c) => c.name));
    const groups = new Set(Object.keys(GROUPS));
    for (const c of casesIn('index.ts')) expect(names.has(c) || groups.has(c), c).toBe(true);
    for (const c of casesIn('runs-command.ts')) expect(names.has(`runs ${c}`), `runs ${c}`).toBe(true);
    for (const c of casesIn('dataset-command.ts')) expect(names.has(`dataset ${c}`), `dataset ${c}`).toBe(true);
  });

  it('pseudo and eval document the model-source and inference flags they parse', () => {
    for (const name of ['pseudo', 'eval']) {
      const c = COMMANDS.find((x) => x.name === name)!;
      const text = [c.synopsis, ...c.options.map(([f]) => f)].join(' ');
      for (const flag of ['--model', 'import:ID', '--engine', '--provider', '--threads', '--arch', '--classes', '--bn-pretrain']) expect(text, `${name} ${flag}`).toContain(flag);
    }
    for (const name of ['export', 'export-labels']) expect(COMMANDS.find((x) => x.name === name)!.synopsis).toContain('--run RUN|import:ID');
  });

  for (const c of COMMANDS) {
    it(`proda ${c.name} --help exits 0 with options and an example`, async () => {
      for (const flag of ['--help', '-h']) {
        const r = await cli(...c.name.split(' '), flag);
        expect(r.code).toBe(EXIT.ok);
        expect(r.err).toBe('');
        expect(r.out).toContain(c.synopsis);
        expect(r.out).toMatch(/Options:\n/);
        for (const [f] of c.options) expect(r.out).toContain(f);
        expect(r.out).toMatch(/Examples?:\n {2}proda /);
      }
    });
  }

  for (const g of Object.keys(GROUPS)) {
    it(`proda ${g} --help lists its subcommands`, async () => {
      const r = await cli(g, '--help');
      expect(r.code).toBe(EXIT.ok);
      for (const c of COMMANDS.filter((x) => x.name.startsWith(`${g} `))) expect(r.out).toContain(c.synopsis);
    });
  }

  it('help after a positional still answers, an unknown subcommand is a usage error', async () => {
    expect((await cli('import', 'model.pkl', '--help')).code).toBe(EXIT.ok);
    expect((await cli('runs', 'show', 'some-run', '--help')).out).toContain('proda runs show ID');
    expect((await cli('runs', 'frobnicate', '--help')).code).toBe(EXIT.usage);
    expect((await cli('frobnicate', '--help')).code).toBe(EXIT.usage);
  });

  it('proda --help lists every command', async () => {
    const r = await cli('--help');
    expect(r.code).toBe(EXIT.ok);
    for (const c of COMMANDS) expect(r.out).toContain(c.synopsis);
  });
});
