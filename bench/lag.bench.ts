// Event-loop lag benchmark: starts the real server (dist/node/serve.js, built first as `npm run serve`
// does) on a fresh workspace, imports a ResNet-101 checkpoint in the official ProDA layout (random
// weights, written by PyTorch), registers a Cityscapes-layout folder of W×H images, and asks for their
// maps one after another. Meanwhile a client calls the cheap requests a user makes while waiting (grid
// thumbnails, already made once, and system.info) and the server reports its own event-loop lag
// (system.eventLoop). The same probes run first on the idle server, for comparison. Prints p50 / p95 /
// max and the load average: numbers taken while other processes are busy are not for publishing.
//
//   npm run bench -- lag [--width 1024] [--height 512] [--maps 2] [--gap 50] [--idle-seconds 5]
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import type { EventLoopLag } from '../shared/contract/system';
import { root, startServer } from '../e2e/helpers.mjs';
import { callApi, percentile, probeWhile, torchMissing, writeCityscapesFolder, writeOfficialCheckpoint } from '../e2e/fixtures.mjs';
import { arg, busyReason, describeLoad, fmtMs, idleProbe, loadRecord, markdownTable } from './method';

const W = Number(arg('width', '1024'));
const H = Number(arg('height', '512'));
const MAPS = Number(arg('maps', '2'));
const GAP = Number(arg('gap', '50'));
const IDLE_S = Number(arg('idle-seconds', '5'));

interface Row {
  phase: string;
  what: string;
  n: number;
  p50?: number;
  p95?: number;
  max?: number;
}

const latencyRows = (phase: string, r: { samples: Record<string, number[]>; errors: string[] }): Row[] =>
  Object.entries(r.samples).map(([what, ms]) => ({ phase, what: `${what} (client)`, n: ms.length, p50: percentile(ms, 50), p95: percentile(ms, 95), max: ms.length ? Math.max(...ms) : undefined }));

const lagRow = (phase: string, l: EventLoopLag): Row => ({ phase, what: `main's event-loop lag (server, ${l.resolutionMs} ms ticks)`, n: l.samples, p50: l.p50Ms, p95: l.p95Ms, max: l.maxMs });

async function main(): Promise<void> {
  const why = torchMissing();
  if (why) throw new Error(why);
  const build = spawnSync(process.execPath, [path.join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('the build failed');
  const load = loadRecord();
  console.log(`ResNet-101 maps of ${MAPS} Cityscapes-layout ${W}×${H} images; probes every ${GAP} ms; load average before ${load.before.map((v) => v.toFixed(2)).join(' / ')}`);

  const tmp = await mkdtemp(path.join(tmpdir(), 'proda-lag-bench-'));
  const server = await startServer(path.join(tmp, 'workspace'), path.join(tmp, 'data'), ['--demo-count', '4']);
  try {
    const [file] = await writeOfficialCheckpoint(path.join(tmp, 'checkpoint', 'r101.pkl'), { r101: true });
    const imp = await callApi<{ importId: string; summary: string }>(server, 'import.checkpoint', { path: file, network: { arch: 'resnet101', classes: 19 }, importId: 'bench-r101', strict: true });
    console.log(`import: ${imp.summary}`);
    const cityscapes = path.join(tmp, 'cityscapes');
    const mapImages = await writeCityscapesFolder(cityscapes, { count: MAPS, width: W, height: H });
    const ds = await callApi<{ id: string }>(server, 'datasets.add', { dataset: { id: 'bench-cityscapes', name: 'bench cityscapes', format: 'cityscapes', root: cityscapes, split: 'val', role: 'target', classSet: '19' } });
    const { datasets } = await callApi<{ datasets: { id: string; split?: string }[] }>(server, 'datasets.list', {});
    const thumbDs = datasets.find((d) => d.split === 'target-train')!.id;
    const thumbs = (await callApi<{ items: { id: string }[] }>(server, 'images.list', { datasetId: thumbDs, offset: 0, limit: 12 })).items.map((e) => e.id);
    // system.info selects main's tfjs backend on its first call (the app's status bar makes it at start).
    await callApi(server, 'system.info', {});
    const sizes = [96, 128, 160, 192];
    // Every thumbnail the probes ask for is made once first, so both phases time the same thing (a grid
    // scrolling over images it has shown before) rather than the idle phase paying for the encoding.
    for (const imageId of thumbs) for (const maxSide of sizes) await callApi(server, 'images.thumbnail', { datasetId: thumbDs, imageId, maxSide });
    const probes = {
      'system.info': () => callApi(server, 'system.info', {}),
      'images.thumbnail': (i: number) => callApi(server, 'images.thumbnail', { datasetId: thumbDs, imageId: thumbs[(i >> 1) % thumbs.length], maxSide: sizes[(i >> 3) % sizes.length] }),
    };

    const rows: Row[] = [];
    // What other processes take while this benchmark and its server idle (bench/method.ts).
    const probe = await idleProbe();
    if (probe !== null) load.probes.push(probe);
    await callApi(server, 'system.eventLoop', { reset: true });
    const until = performance.now() + IDLE_S * 1000;
    const idle = await probeWhile(() => performance.now() < until, probes, { gapMs: GAP });
    rows.push(...latencyRows('idle server', idle), lagRow('idle server', await callApi<EventLoopLag>(server, 'system.eventLoop', { reset: true })));

    let inFlight = true;
    const mapMs: number[] = [];
    const maps = (async () => {
      try {
        for (const imageId of mapImages) {
          const t = performance.now();
          const m = await callApi<{ cached: boolean }>(server, 'maps.get', { source: { kind: 'run', runId: `import:${imp.importId}` }, image: { datasetId: ds.id, imageId }, layers: ['pred', 'probs', 'dist', 'denoised'] });
          if (m.cached) throw new Error(`the map of ${imageId} came from the cache: nothing was computed`);
          mapMs.push(performance.now() - t);
        }
      } finally {
        inFlight = false;
      }
    })();
    maps.catch(() => {});
    const busy = await probeWhile(() => inFlight, probes, { gapMs: GAP });
    await maps;
    rows.push(...latencyRows('ResNet-101 maps computing', busy), lagRow('ResNet-101 maps computing', await callApi<EventLoopLag>(server, 'system.eventLoop', { reset: true })));
    load.after = loadavg();

    console.log(markdownTable(['phase', 'measured', 'n', 'p50', 'p95', 'max'], rows.map((r) => [r.phase, r.what, `${r.n}`, fmtMs(r.p50), fmtMs(r.p95), fmtMs(r.max)])));
    console.log(`\nmaps.get per image: ${mapMs.map((v) => fmtMs(v)).join(', ')} (the first includes opening the model: ONNX export and its check against tfjs)`);
    const failed = [...idle.errors, ...busy.errors];
    if (failed.length) console.log(`${failed.length} probe requests failed (counted as infinitely slow): ${[...new Set(failed)].join('; ')}`);
    console.log(describeLoad(load));
    const reason = busyReason(load);
    console.log(reason ? `NOT PUBLISHABLE: ${reason}` : 'the machine was quiet: these numbers may be published');
  } finally {
    await server.stop();
    await rm(tmp, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : String(err));
  process.exit(1);
});
