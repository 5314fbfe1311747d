// Guards the fresh-machine CI: every module a .py file in the repo imports must be in the standard
// library, in the repo itself, or listed in .ci/python-modules.tsv with the Debian package that .ci/run
// installs for it. (python3-torchvision was once missing from .ci/run and only a hand-installed
// developer machine passed.)
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SKIP_DIRS = new Set(['node_modules', '.git', 'dist', 'release', 'e2e/artifacts']);

function pythonFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const rel = path.relative(root, path.join(dir, e.name));
    if (SKIP_DIRS.has(rel) || SKIP_DIRS.has(e.name) || e.name.startsWith('.')) continue;
    if (e.isDirectory()) pythonFiles(path.join(dir, e.name), out);
    else if (e.isFile() && e.name.endsWith('.py')) out.push(path.join(dir, e.name));
  }
  return out;
}

/** Top-level module names imported anywhere in the source (nested imports included). */
export function importedModules(source: string): string[] {
  const mods = new Set<string>();
  for (const raw of source.split('\n')) {
    const line = raw.replace(/#.*$/, '').trim();
    let m = /^from\s+([A-Za-z_][\w.]*)\s+import\b/.exec(line);
    if (m) {
      if (!m[1].startsWith('.')) mods.add(m[1].split('.')[0]);
      continue;
    }
    m = /^import\s+(.+)$/.exec(line);
    if (m) for (const part of m[1].split(',')) mods.add(part.trim().split(/\s+/)[0].split('.')[0]);
  }
  return [...mods].filter(Boolean);
}

function table(): Map<string, string> {
  const rows = readFileSync(path.join(root, '.ci/python-modules.tsv'), 'utf8').split('\n');
  const map = new Map<string, string>();
  for (const row of rows) {
    if (!row.trim() || row.startsWith('#')) continue;
    const [mod, pkg] = row.split('\t');
    map.set(mod, pkg);
  }
  return map;
}

function stdlib(): Set<string> | null {
  const r = spawnSync('/usr/bin/python3', ['-c', 'import sys; print("\\n".join(sorted(sys.stdlib_module_names)))'], { encoding: 'utf8' });
  return r.status === 0 ? new Set(r.stdout.split('\n').filter(Boolean)) : null;
}

describe('.ci/python-modules.tsv', () => {
  it('parses nested, aliased and from-imports', () => {
    expect(importedModules('import os, sys as s\nfrom PIL import Image\n    import torchvision.models\nfrom .x import y\n# import nope')).toEqual(['os', 'sys', 'PIL', 'torchvision']);
  });

  const std = stdlib();
  it.skipIf(std === null)('lists every non-stdlib module a .py file imports (needs /usr/bin/python3 for the stdlib list)', () => {
    const listed = table();
    const files = pythonFiles(root);
    expect(files.length).toBeGreaterThan(0);
    const missing: string[] = [];
    // Scripts put each other's folders on sys.path (bench/pytorch_step.py imports fixtures/parity/nets_reference).
    const local = new Set(files.map((f) => path.basename(f, '.py')));
    for (const file of files) {
      for (const mod of importedModules(readFileSync(file, 'utf8'))) {
        if (std!.has(mod) || local.has(mod) || listed.has(mod)) continue;
        missing.push(`${path.relative(root, file)} imports ${mod}`);
      }
    }
    expect(missing, 'add these modules with their Debian package to .ci/python-modules.tsv').toEqual([]);
  });

  it('is what .ci/run installs from', () => {
    const ci = readFileSync(path.join(root, '.ci/run'), 'utf8');
    expect(ci).toContain('.ci/python-modules.tsv');
    for (const pkg of table().values()) expect(pkg).toMatch(/^python3-[a-z0-9.-]+$/);
  });
});
