// Viewer frame times: builds bench/viewer-page (the real Viewer and overlay worker on a synthetic
// 2048×1024 image with three overlays), serves it on loopback, and drives 100 pan/zoom steps (one per
// animation frame) in headless Chromium. Prints median and 95th percentile of the frame interval (what
// the user sees), of Konva's layer draw calls, and of a forced draw + raster per step (the CPU cost of
// a frame with nothing deferred to the compositor). Goal: p95 frame < 33 ms.
import { createServer } from 'node:http';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { chromium } from 'playwright-core';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.join(root, '.tmp', 'viewer-bench');
const steps = Number(process.env.VIEWER_BENCH_STEPS ?? 100);

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};

async function build(): Promise<void> {
  const { build } = await import('vite');
  const react = (await import('@vitejs/plugin-react')).default;
  await build({
    root: path.join(root, 'bench', 'viewer-page'),
    base: './',
    configFile: false,
    logLevel: 'warn',
    plugins: [react()],
    worker: { format: 'es' },
    build: { outDir, emptyOutDir: true, target: 'chrome120', modulePreload: { polyfill: false }, chunkSizeWarningLimit: 4000 },
  });
}

const MIME: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.map': 'application/json' };

async function main(): Promise<void> {
  const t0 = Date.now();
  await build();
  const buildMs = Date.now() - t0;
  const server = createServer(async (req, res) => {
    const rel = decodeURIComponent((req.url ?? '/').split('?')[0]);
    const file = path.join(outDir, rel === '/' ? 'index.html' : rel);
    if (!file.startsWith(outDir)) return void res.writeHead(403).end();
    try {
      const body = await fsp.readFile(file);
      res.writeHead(200, { 'content-type': MIME[path.extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`http://127.0.0.1:${port}/`, { waitUntil: 'domcontentloaded' });
    await page.waitForFunction(() => (globalThis as unknown as { benchReady?: () => boolean }).benchReady?.() === true, null, { timeout: 120_000 });
    const colouriseMs = await page.evaluate(() => (globalThis as unknown as { colouriseMs: number }).colouriseMs);
    type Result = { intervals: number[]; draws: number[] };
    // Warm-up pass (JIT, first uploads), then the measured pass.
    await page.evaluate((n) => (globalThis as unknown as { benchRun: (n: number) => Promise<Result> }).benchRun(n), 20);
    const r = await page.evaluate((n) => (globalThis as unknown as { benchRun: (n: number) => Promise<Result> }).benchRun(n), steps);
    const rasterMs = await page.evaluate((n) => (globalThis as unknown as { benchRaster: (n: number) => Promise<number[]> }).benchRaster(n), steps);
    if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
    const ua = await page.evaluate(() => (globalThis as unknown as { navigator: { userAgent: string } }).navigator.userAgent);
    const row = (name: string, xs: number[]) =>
      `| ${name.padEnd(26)} | ${String(xs.length).padStart(5)} | ${pct(xs, 50).toFixed(1).padStart(8)} | ${pct(xs, 95).toFixed(1).padStart(8)} | ${Math.max(...xs).toFixed(1).padStart(8)} |`;
    console.log(`viewer bench: 2048×1024 image, 3 overlays (GT fill, prediction outline, distance heatmap at 1/8), ${steps} pan/zoom steps`);
    console.log(`browser: ${ua.replace(/.*(HeadlessChrome|Chrome)\//, 'Chromium ').split(' ').slice(0, 2).join(' ')}, build ${buildMs} ms, worker colourisation of 3 overlays ${colouriseMs.toFixed(0)} ms`);
    console.log('| measure                    | count |  median  |   p95    |   max    |');
    console.log('|----------------------------|-------|----------|----------|----------|');
    console.log(row('frame interval (ms)', r.intervals));
    console.log(row('layer draw (ms)', r.draws));
    console.log(row('draw + raster, forced (ms)', rasterMs));
    const p95 = pct(r.intervals, 95);
    console.log(`p95 frame ${p95.toFixed(1)} ms: ${p95 < 33 ? 'meets' : 'MISSES'} the 33 ms goal`);
  } finally {
    await browser.close();
    server.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
