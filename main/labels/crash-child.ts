// Test helper for store.test.ts: applies a deterministic sequence of strokes to one image and prints
// "ack <seq>" after each is durably logged, until it is killed. Snapshots are written after every step
// (debounce 0). With a third argument K, the process kills itself inside the first file write that starts
// after step K is acknowledged: the temp file is complete, the rename never happens.
import fs from 'node:fs';
import { LabelStore } from './store';
import { crashStep } from './crash-steps';

const [root, size, killAfter] = process.argv.slice(2);
const side = Number(size);
const store = new LabelStore(root, { debounceMs: 0, who: 'crash-test' });
const img = await store.get('ds', 'img/0001.png', async () => ({
  raster: { width: side, height: side, data: new Uint8Array(side * side) },
  start: { source: 'empty', label: '' },
}));
for (let i = 0; ; i++) {
  const r = await img.step(crashStep(i, side));
  process.stdout.write(`ack ${r.doc.seq}\n`);
  if (killAfter !== undefined && r.doc.seq >= Number(killAfter)) {
    fs.promises.rename = async () => {
      process.kill(process.pid, 'SIGKILL');
    };
  }
  // Let the debounced snapshot start so an outside kill can hit it mid-write.
  await new Promise((resolve) => setTimeout(resolve, 1));
}
