/* global document */
// Annotation in browser mode: open a target image, paint with the brush, flood-fill a region, undo one
// step, reload and find the corrections restored from disk, export the trainId PNG and compare it pixel
// for pixel with what the logged ops must produce (recomputed here independently of the app's code).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { api, expectEq, expectTrue } from './helpers.mjs';

export const title = 'annotation';

/** A target dataset (the demo's adaptation split when there is one) and its first image. */
async function targetImage(page, token) {
  const { datasets } = await api(page, token, 'datasets.list', {});
  const targets = datasets.filter((d) => d.role === 'target');
  const ds = targets.find((d) => d.split === 'target-train') ?? targets[0];
  expectTrue(ds, `a target dataset in the workspace (have: ${datasets.map((d) => d.id).join(', ')})`);
  return ds;
}

async function openEditor(page, server, ds) {
  await page.goto(server.url, { waitUntil: 'domcontentloaded' });
  await page.getByTestId('workspace-name').filter({ hasNotText: 'No workspace open' }).waitFor();
  await page.getByTestId('dataset-picker').selectOption(ds.id);
  await page.getByTestId('grid-count').filter({ hasText: /\d+ images/ }).waitFor();
  await page.getByTestId('grid-cell').first().click();
  await page.getByTestId('annotate-toggle').click();
  const editor = page.getByTestId('annotation-editor');
  await editor.waitFor();
  await page.getByTestId('annotation-status').filter({ hasText: /from / }).waitFor();
  await page.locator('[data-testid=annotation-viewer] canvas').first().waitFor();
  return editor;
}

/** Screen position of an image point, from the editor's published view transform. */
async function toScreen(page, x, y) {
  const canvas = page.locator('.annotation-canvas');
  const [scale, ox, oy] = (await canvas.getAttribute('data-view')).split(' ').map(Number);
  const box = await canvas.boundingBox();
  return { x: box.x + ox + x * scale, y: box.y + oy + y * scale };
}

async function settle(page) {
  await page.waitForFunction(() => document.querySelector('[data-testid=annotation-editor]')?.getAttribute('data-pending') === '0');
}

// --- An independent oracle: the tools' documented pixel rules, re-implemented here. ---
function brush(labels, w, h, points, size, value) {
  const r2 = (size / 2) ** 2;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const cx = x + 0.5;
      const cy = y + 0.5;
      let hit = false;
      for (let i = 0; i < Math.max(1, points.length - 1) && !hit; i++) {
        const [ax, ay] = points[i];
        const [bx, by] = points[Math.min(i + 1, points.length - 1)];
        const dx = bx - ax;
        const dy = by - ay;
        const len2 = dx * dx + dy * dy;
        const t = len2 > 0 ? Math.max(0, Math.min(1, ((cx - ax) * dx + (cy - ay) * dy) / len2)) : 0;
        hit = (ax + t * dx - cx) ** 2 + (ay + t * dy - cy) ** 2 <= r2;
      }
      if (hit) labels[y * w + x] = value;
    }
  }
}
function fill(labels, w, h, sx, sy, value) {
  const start = Math.floor(sy) * w + Math.floor(sx);
  const target = labels[start];
  if (target === value) return;
  const stack = [start];
  labels[start] = value;
  while (stack.length) {
    const p = stack.pop();
    const x = p % w;
    for (const q of [x > 0 ? p - 1 : -1, x < w - 1 ? p + 1 : -1, p - w, p + w]) {
      if (q >= 0 && q < w * h && labels[q] === target) {
        labels[q] = value;
        stack.push(q);
      }
    }
  }
}

/** An 8-bit greyscale PNG (IHDR bit depth 8, colour type 0), as ProDA's readers expect trainId maps. */
const grey = async (bytes) => {
  expectEq(bytes[24], 8, 'PNG bit depth');
  expectEq(bytes[25], 0, 'PNG colour type (0 = grey)');
  // sharp hands grey back expanded to RGB on some libvips builds: keep channel 0.
  const { data, info } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
  const out = new Uint8Array(info.width * info.height);
  for (let i = 0; i < out.length; i++) out[i] = data[i * info.channels];
  return { width: info.width, height: info.height, data: out };
};

export const tests = [
  {
    name: 'paint, flood-fill, undo, reload restores from disk, export matches the expected pixels',
    async run({ page, server, shot }) {
      await page.goto(server.url, { waitUntil: 'domcontentloaded' });
      const ds = await targetImage(page, server.token);
      const img = await api(page, server.token, 'images.list', { datasetId: ds.id, offset: 0, limit: 1 });
      const id = img.items[0].id;
      // A known start whatever earlier runs left in the workspace: every pixel ignore, nothing touched.
      const start = await api(page, server.token, 'labels.reset', { datasetId: ds.id, imageId: id, start: { source: 'empty' } });
      await openEditor(page, server, ds);
      const state0 = await page.getByTestId('annotation-editor').getAttribute('data-seq');
      expectEq(state0, '0', 'a fresh start');
      const W = start.width;
      const H = start.height;
      await shot('opened');

      // 1. Brush: road, a vertical band through the whole image (splits it for the fill).
      await page.getByTestId('tool-brush').click();
      await page.getByTestId('class-0').click();
      for (let i = 0; i < 2; i++) await page.keyboard.press(']'); // 8 → 16 px
      expectEq(await page.getByTestId('brush-size').innerText(), '16px', 'brush size after ] ]');
      const a = await toScreen(page, W * 0.5, -4);
      const b = await toScreen(page, W * 0.5, H + 4);
      await page.mouse.move(a.x, a.y);
      await page.mouse.down();
      await page.mouse.move(b.x, b.y, { steps: 12 });
      await page.mouse.up();

      // 2. Flood fill: vegetation, the left part.
      await page.getByTestId('class-8').click();
      await page.getByTestId('tool-fill').click();
      const f = await toScreen(page, W * 0.15, H * 0.5);
      await page.mouse.click(f.x, f.y);

      // 3. Another brush stroke (car) on the right, then undo it.
      await page.getByTestId('class-13').click();
      await page.getByTestId('tool-brush').click();
      const c = await toScreen(page, W * 0.7, H * 0.3);
      const d = await toScreen(page, W * 0.9, H * 0.6);
      await page.mouse.move(c.x, c.y);
      await page.mouse.down();
      await page.mouse.move(d.x, d.y, { steps: 6 });
      await page.mouse.up();
      await settle(page);
      expectEq(await page.getByTestId('annotation-editor').getAttribute('data-seq'), String(Number(state0) + 3), 'three steps confirmed');
      await shot('painted');
      await page.keyboard.press('Control+z');
      await page.waitForFunction((n) => document.querySelector('[data-testid=annotation-editor]')?.getAttribute('data-seq') === String(n), Number(state0) + 4);
      const touchedBefore = await page.getByTestId('touched-count').innerText();
      await shot('undone');

      // The expected pixels, from the ops as logged on disk (exact stroke points), recomputed here.
      const dir = path.join(server.workspace, 'labels', encodeURIComponent(ds.id), encodeURIComponent(id));
      const log = readFileSync(path.join(dir, 'edits.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((l) => l.gen === start.generation);
      const edits = log.filter((l) => l.kind === 'edit');
      expectEq(edits.map((e) => e.tool).join(','), 'brush,fill,brush', 'logged tools');
      expectEq(log.at(-1).kind, 'undo', 'last logged step');
      const expected = new Uint8Array(Buffer.from(start.base.b64, 'base64'));
      expectEq(expected.length, W * H, 'start layer size');
      brush(expected, W, H, edits[0].op.points, edits[0].op.size, 0);
      fill(expected, W, H, edits[1].op.x, edits[1].op.y, 8);
      const counts = [0, 8, 13, 250].map((v) => expected.filter((p) => p === v).length);
      expectTrue(counts[0] > H * 10 && counts[1] > (W * H) / 4, `expected raster has road and vegetation (${counts})`);

      // 4. Reload: the corrections come back (pixels, touched count, undo and redo history).
      await page.reload({ waitUntil: 'domcontentloaded' });
      await openEditor(page, server, ds);
      expectEq(await page.getByTestId('touched-count').innerText(), touchedBefore, 'touched count after reload');
      expectTrue(await page.getByTestId('redo').isEnabled(), 'the undone stroke can still be redone after reload');
      const restored = await api(page, server.token, 'labels.get', { datasetId: ds.id, imageId: id });
      const got = Buffer.from(restored.labels.b64, 'base64');
      expectEq(Buffer.compare(got, Buffer.from(expected)), 0, 'restored labels equal the expected pixels');
      await shot('reloaded');

      // On disk, within a second of the last step: labels.png holds the same pixels.
      let onDisk = null;
      for (let i = 0; i < 30; i++) {
        onDisk = await grey(readFileSync(path.join(dir, 'labels.png')));
        if (Buffer.compare(Buffer.from(onDisk.data), Buffer.from(expected)) === 0) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expectEq(Buffer.compare(Buffer.from(onDisk.data), Buffer.from(expected)), 0, 'labels.png on disk');

      // 5. Export the trainId PNG through the UI and compare every pixel.
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-trainId').click()]);
      const png = await grey(readFileSync(await download.path()));
      expectEq(png.width, W, 'export width');
      expectEq(png.height, H, 'export height');
      let diff = 0;
      for (let i = 0; i < png.data.length; i++) diff += png.data[i] !== expected[i] ? 1 : 0;
      expectEq(diff, 0, 'exported pixels that differ from the expected ones');
      expectTrue(download.suggestedFilename().endsWith('_trainId.png'), `file name ${download.suggestedFilename()}`);

      // The per-dataset counts a run with corrections would use, and the export of the whole dataset.
      const px = touchedBefore.match(/\d+/)[0];
      await page.getByTestId('dataset-counts').filter({ hasText: new RegExp(`1 images, ${px} px`) }).waitFor();
      await page.getByTestId('export-all').click();
      await page.getByTestId('annotation-status').filter({ hasText: /1 images exported to / }).waitFor();
      const all = await grey(readFileSync(path.join(server.workspace, 'exports', `labels-${ds.id}-trainId`, ...id.replace(/\.[^./]+$/, '.png').split('/'))));
      expectEq(Buffer.compare(Buffer.from(all.data), Buffer.from(expected)), 0, 'dataset export equals the expected pixels');
      await shot('exported');
    },
  },
];
