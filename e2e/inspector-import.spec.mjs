/* global document, requestAnimationFrame */
// The inspector on an imported checkpoint: PyTorch writes a demo-net checkpoint in the official ProDA
// layout (objective_vectors inside), the contract imports it, a tiny Cityscapes-layout folder
// (leftImg8bit/gtFine) is registered, and the inspector, with source import:<id> picked in its source
// list, shows the prediction, the denoised label and the distance to a class prototype. Each layer must
// change the pixels of the viewer when switched on (so an empty or missing bitmap fails), and the
// service's maps must hold the same layers.
import path from 'node:path';
import sharp from 'sharp';
import { expectEq, expectTrue, fittedImage } from './helpers.mjs';
import { callApi, demoNetSpec, torchMissing, writeCityscapesFolder, writeOfficialCheckpoint } from './fixtures.mjs';

export const title = 'inspector on an imported checkpoint';
export const skip = () => torchMissing();
// A cap, not a duration: every wait ends when the UI shows the state it waits for.
export const timeout = 600_000;

/** Waits until the overlays shown have their bitmaps (the status line says so), then two frames. */
async function overlaysDrawn(page) {
  await page.locator('[data-testid=inspector-status][data-overlays-ready=yes]').waitFor();
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

/**
 * The pixels of the fitted image inside the viewer, RGB at the image's own size (a legend appearing beside
 * the viewer changes its on-screen scale, not this).
 */
async function imagePixels(page) {
  const { w, h, clip } = await fittedImage(page);
  const png = await page.screenshot({ clip });
  return sharp(png).resize(w, h, { fit: 'fill', kernel: 'nearest' }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
}

/** Share of pixels that differ by more than 8 levels in some channel. */
function changedShare(a, b) {
  expectEq(a.data.length, b.data.length, 'viewer screenshots of one size');
  let n = 0;
  for (let i = 0; i < a.data.length; i += 3) {
    if (Math.abs(a.data[i] - b.data[i]) > 8 || Math.abs(a.data[i + 1] - b.data[i + 1]) > 8 || Math.abs(a.data[i + 2] - b.data[i + 2]) > 8) n++;
  }
  return n / (a.data.length / 3);
}

export const tests = [
  {
    name: 'prediction, denoised label and distance maps of an official-layout demo-net import on a Cityscapes folder',
    async run({ page, server, tmp, shot, log }) {
      const [file] = await writeOfficialCheckpoint(path.join(tmp, 'inspector-import', 'demo_official.pkl'), { spec: demoNetSpec(), seed: 7 });
      const imp = await callApi(server, 'import.checkpoint', { path: file, network: { arch: 'demo', classes: 19 }, importId: 'official-demo', strict: true });
      expectEq(imp.report.kind, 'proda', 'checkpoint layout');
      expectTrue(imp.report.prototypes?.classes === 19, `objective_vectors imported as prototypes (${JSON.stringify(imp.report.prototypes)})`);
      log(`import: ${imp.summary}`);

      const cityscapes = path.join(tmp, 'inspector-import', 'cityscapes');
      const ids = await writeCityscapesFolder(cityscapes, { count: 2, width: 256, height: 128 });
      const ds = await callApi(server, 'datasets.add', { dataset: { id: 'cs-import-val', name: 'Cityscapes (tiny)', format: 'cityscapes', root: cityscapes, split: 'val', role: 'target', classSet: '19' } });
      const { items } = await callApi(server, 'images.list', { datasetId: ds.id, offset: 0, limit: 10 });
      expectEq(items.map((e) => e.id).join(','), [...ids].sort().join(','), 'the Cityscapes folder lists its images');

      const source = { kind: 'run', runId: `import:${imp.importId}` };
      const maps = await callApi(server, 'maps.get', { source, image: { datasetId: ds.id, imageId: items[0].id } });
      const layer = (id) => maps.layers.find((l) => l.id === id);
      for (const id of ['gt', 'pred', 'probs', 'dist', 'raw', 'denoised']) expectTrue(layer(id), `maps.get has the ${id} layer (has ${maps.layers.map((l) => l.id).join(', ')})`);
      expectEq(layer('dist').channels, 19, 'a distance per class prototype');

      await page.setViewportSize({ width: 1400, height: 900 });
      await page.goto(server.url, { waitUntil: 'domcontentloaded' });
      await page.getByTestId('workspace-name').filter({ hasNotText: 'No workspace open' }).waitFor();
      await page.getByTestId('dataset-picker').selectOption(ds.id);
      await page.getByTestId('inspect-toggle').click();
      // The import is offered in the inspector's source list.
      const picker = page.getByTestId('map-source');
      await picker.locator(`option[value="run:import:${imp.importId}"]`).waitFor({ state: 'attached' });
      await picker.selectOption(`run:import:${imp.importId}`);
      await page.locator('[data-testid=grid-cell]').first().click();
      await page.locator('[data-testid=inspector][data-image]').waitFor();
      await page.getByTestId('inspector-status').filter({ hasText: /maps/ }).waitFor({ timeout: 120_000 });
      for (const id of ['pred', 'denoised', 'distClass']) await page.getByTestId(`layer-${id}`).waitFor();

      // Everything off: the photo alone, the reference each layer must change.
      for (const box of await page.locator('[data-testid=layer-panel] input[type=checkbox]').all()) if (await box.isChecked()) await box.uncheck();
      await overlaysDrawn(page);
      const base = await imagePixels(page);
      await page.getByTestId('focus-class').selectOption({ label: 'car' });
      for (const [label, what] of [
        ['Prediction', 'prediction'],
        ['Denoised pseudo-label', 'denoised'],
        ['Distance to class prototype', 'distance-to-car'],
      ]) {
        const box = page.getByLabel(label, { exact: true });
        await box.check();
        await overlaysDrawn(page);
        const share = changedShare(base, await imagePixels(page));
        await shot(what);
        log(`${label}: ${(share * 100).toFixed(1)} % of the image's pixels changed`);
        expectTrue(share > 0.05, `${label} drew nothing visible (${(share * 100).toFixed(2)} % of pixels changed)`);
        await box.uncheck();
      }
      const status = await page.getByTestId('inspector-status').textContent();
      expectTrue(/256×128/.test(status), `status line names the image size: ${status}`);
      const shown = await page.evaluate(() => document.querySelector('[data-testid=inspector]').getAttribute('data-image'));
      expectTrue(ids.includes(shown), `the inspector shows a Cityscapes image (${shown})`);
    },
  },
];
