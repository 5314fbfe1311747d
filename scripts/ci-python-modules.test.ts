// Guards the fresh-machine CI: every module a .py file in the repo imports must be in the standard
// library, in the repo itself, or have a line in .ci/run that installs its Debian package
// (`/usr/bin/python3 -c 'import M' … || need+=(python3-…)`). (python3-torchvision was once missing from .ci/run and only a hand-installed
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

/** Module → Debian package, from .ci/run's `python3 -c 'import M' … || need+=(PKG)` lines. */
export function ciInstalls(script: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const m of script.matchAll(/python3 -c '\s*import ([A-Za-z_][\w.]*)\s*'[^\n]*\|\|\s*need\+=\(([^)\s]+)\)/g)) map.set(m[1].split('.')[0], m[2]);
  return map;
}

const table = (): Map<string, string> => ciInstalls(readFileSync(path.join(root, '.ci/run'), 'utf8'));

function stdlib(): Set<string> | null {
  const r = spawnSync('/usr/bin/python3', ['-c', 'import sys; print("\\n".join(sorted(sys.stdlib_module_names)))'], { encoding: 'utf8' });
  return r.status === 0 ? new Set(r.stdout.split('\n').filter(Boolean)) : null;
}

describe("the Python packages .ci/run installs", () => {
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
    expect(missing, "give each module a line in .ci/run that installs its Debian package").toEqual([]);
  });

  it('reads the install lines of .ci/run', () => {
    expect(ciInstalls("/usr/bin/python3 -c 'import torch' >/dev/null 2>&1 || need+=(python3-torch)\nx")).toEqual(new Map([['torch', 'python3-torch']]));
    const listed = table();
    expect(listed.get('torch')).toBe('python3-torch');
    for (const pkg of listed.values()) expect(pkg).toMatch(/^python3-[a-z0-9.-]+$/);
  });
});
