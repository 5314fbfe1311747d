// `npm run bench [-- <filter>]`: runs every bench/*.bench.ts (or those whose name contains <filter>)
// one after another in its own Node process, so one benchmark's memory or backend never skews the next.
import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const benchDir = path.join(root, 'bench');
const filter = process.argv[2] ?? '';
const files = readdirSync(benchDir)
  .filter((f) => f.endsWith('.bench.ts') && f.includes(filter))
  .sort();
if (files.length === 0) {
  console.error(`no benchmark matches "${filter}" in bench/`);
  process.exit(2);
}
let failed = 0;
for (const file of files) {
  console.log(`\n## ${file}\n`);
  const res = spawnSync(process.execPath, ['--import', 'tsx', path.join(benchDir, file), ...process.argv.slice(3)], {
    cwd: root,
    stdio: 'inherit',
  });
  if (res.status !== 0) {
    failed++;
    console.error(`${file} exited with ${res.status ?? res.signal}`);
  }
}
process.exit(failed ? 1 : 0);
