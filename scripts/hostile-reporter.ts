// The hostile suite's summary (`npm run test:hostile`): one row per probe (a top-level describe of a
// *.hostile.test.ts file), how many attempts it made (its tests) and how many held (passed).
import path from 'node:path';
import type { Reporter, TestCase, TestModule } from 'vitest/node';

interface Row {
  probe: string;
  file: string;
  attempts: number;
  held: number;
  failed: number;
  skipped: number;
}

function probeOf(test: TestCase): string {
  let node: TestCase['parent'] = test.parent;
  let top: string | null = null;
  while (node.type === 'suite') {
    top = node.name;
    node = node.parent;
  }
  return top ?? test.name;
}

export default class HostileReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const rows = new Map<string, Row>();
    for (const mod of modules) {
      const file = path.relative(process.cwd(), mod.moduleId);
      for (const test of mod.children.allTests()) {
        const probe = probeOf(test);
        const key = `${file}\u0000${probe}`;
        const row = rows.get(key) ?? { probe, file, attempts: 0, held: 0, failed: 0, skipped: 0 };
        rows.set(key, row);
        const state = test.result().state;
        if (state === 'skipped' || state === 'pending') {
          row.skipped++;
          continue;
        }
        row.attempts++;
        if (state === 'passed') row.held++;
        else row.failed++;
      }
    }
    const list = [...rows.values()];
    const w = Math.min(90, Math.max(5, ...list.map((r) => r.probe.length)));
    const cut = (s: string) => (s.length > w ? `${s.slice(0, w - 1)}…` : s.padEnd(w));
    const lines = ['', `${'probe'.padEnd(w)}  attempts  held  skipped  file`];
    for (const r of list) {
      lines.push(`${cut(r.probe)}  ${String(r.attempts).padStart(8)}  ${String(r.held).padStart(4)}  ${String(r.skipped).padStart(7)}  ${r.file}${r.failed ? '  BROKEN' : ''}`);
    }
    const passed = list.reduce((a, r) => a + r.held, 0);
    const failed = list.reduce((a, r) => a + r.failed, 0);
    lines.push('', `${passed} passed, ${failed} failed`, '');
    process.stdout.write(lines.join('\n'));
  }
}
