/* global document, DataTransfer, DragEvent */
// Export and import in browser mode on the demo workspace: a tiny warm-up run is made through the API,
// then the export panel exports it as ONNX + safetensors + official ProDA checkpoint with one parity
// image, shows the parity report (agreement per format and image) and the written files, and exports
// the run's label maps; the exported proda_checkpoint.pkl is imported back through the path field and
// its key-matching report must show every key matched. A drop without a path says so instead of guessing one.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { api, demoRunDataset, expectTrue, openDemoWorkspace, waitRun } from './helpers.mjs';

export const title = 'export';
// One 10-iteration warm-up run plus the export's parity check; generous for 2 loaded cores.
export const timeout = 240_000;

const quick = demoRunDataset;

export const tests = [
  {
    name: 'export a run with its parity report and its labels, import the exported checkpoint with its key report',
    async run({ page, server, shot, log }) {
      const token = server.token;
      const { src, tgt } = await openDemoWorkspace(page, server);

      const t0 = Date.now();
      const warm = await api(page, token, 'runs.start', {
        config: {
          seed: 7,
          stage: 'warmup',
          network: { arch: 'demo', classes: 19 },
          source: quick(src),
          adversarialWeight: 0,
          freezeBn: false,
          aug: { cropWidth: 192, cropHeight: 96, resizeBase: 256, resizeRange: [0.75, 1.5], flip: true },
          validation: { every: 0 },
          checkpoint: { every: 5, keep: 2 },
          optim: { batchSize: 2, iterations: 10, polyHorizon: 43, lr: 2.5e-3 },
        },
      });
      await waitRun(page, token, warm.id, ['succeeded'], 180_000);
      log(`warm-up run ${warm.id} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

      await page.getByTestId('dataset-picker').selectOption(tgt.id);
      await page.getByTestId('export-toggle').click();
      await page.getByTestId('export-panel').waitFor();
      await page.locator(`[data-testid=export-run] option[value="${warm.id}"]`).waitFor({ state: 'attached' });
      await page.getByTestId('export-run').selectOption(warm.id);
      await page.getByTestId('format-tfjs').uncheck();
      for (const f of ['onnx', 'safetensors', 'pytorch']) await page.getByTestId(`format-${f}`).check();
      await page.getByTestId('parity-images').fill('1');
      await page.getByTestId('export-start').click();
      // Progress shows while the job runs (it may be brief; the report is what must arrive).
      await Promise.race([page.getByTestId('export-progress').waitFor({ timeout: 30_000 }), page.getByTestId('parity-report').waitFor({ timeout: 30_000 })]).catch(() => {});
      await shot('export-running');
      const report = page.getByTestId('parity-report');
      const failed = await Promise.race([
        report.waitFor({ timeout: 150_000 }).then(() => false),
        page.getByTestId('export-error').waitFor({ timeout: 150_000 }).then(() => true),
      ]);
      if (failed) throw new Error(`export failed: ${await page.getByTestId('export-error').textContent()}`);
      expectTrue((await report.getAttribute('data-passed')) === 'true', 'parity passed');
      const agreement = Number(await report.getAttribute('data-agreement'));
      expectTrue(agreement >= 0.999, `argmax agreement ${agreement} ≥ 0.999`);
      const text = await report.textContent();
      expectTrue(/argmax agreement \d+\.\d{3} %/.test(text), `agreement shown in the report: ${text.slice(0, 200)}`);
      expectTrue((await report.locator('tr[data-format=onnx]').count()) === 1, 'one ONNX parity row (1 image)');
      expectTrue((await report.locator('tr[data-format=safetensors]').count()) === 1, 'one safetensors parity row');
      const files = await page.locator('[data-testid=export-files] li').evaluateAll((els) => els.map((e) => e.getAttribute('data-file')));
      const pkl = files.find((f) => f.endsWith('proda_checkpoint.pkl'));
      expectTrue(files.some((f) => f.endsWith('model.probs.onnx')) && files.some((f) => f.endsWith('.safetensors')) && pkl, `exported files: ${files.join(', ')}`);
      expectTrue(existsSync(pkl), `${pkl} exists on disk`);
      await page.locator(`[data-testid=export-list] tr[data-kind=model]`).first().waitFor();
      await report.scrollIntoViewIfNeeded();
      await shot('parity-report');
      log(`export: agreement ${agreement}, max |Δlogit| ${await report.getAttribute('data-max-diff')}, ${files.length} files`);

      // Label maps of the same run on the shown target dataset, with their progress.
      await page.getByTestId('labels-source').selectOption(warm.id);
      await page.getByTestId('labels-start').click();
      const labels = page.getByTestId('labels-result');
      const labelsFailed = await Promise.race([
        labels.waitFor({ timeout: 120_000 }).then(() => false),
        page.getByTestId('labels-error').waitFor({ timeout: 120_000 }).then(() => true),
      ]);
      if (labelsFailed) throw new Error(`label export failed: ${await page.getByTestId('labels-error').textContent()}`);
      const { total } = await api(page, token, 'images.list', { datasetId: tgt.id, offset: 0, limit: 1 });
      const labelText = await labels.textContent();
      expectTrue(labelText.startsWith(`${total} images`), `label export covers the ${total} images: ${labelText}`);
      log(`labels: ${labelText}`);

      // Both exports download from the browser, byte for byte what the server wrote.
      for (const [kind, pick] of [
        ['model', 'proda_checkpoint.pkl'],
        ['labels', '.png'],
      ]) {
        const row = page.locator(`[data-testid=export-list] tr[data-kind=${kind}]`).first();
        await row.waitFor({ timeout: 30_000 });
        const id = await row.getAttribute('data-export');
        await row.getByTestId('export-downloads-toggle').click();
        const link = row.locator('a[data-path]').filter({ hasText: pick }).first();
        await link.waitFor();
        const rel = await link.getAttribute('data-path');
        const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
        const got = await readFile(await download.path());
        const want = await readFile(path.join(server.workspace, 'exports', id, ...rel.split('/')));
        expectTrue(want.length > 0 && Buffer.compare(got, want) === 0, `${kind} export ${id}/${rel}: downloaded ${got.length} bytes, file has ${want.length}, equal: ${Buffer.compare(got, want) === 0}`);
        log(`downloaded ${id}/${rel} (${got.length} bytes) identical to the file`);
      }
      await shot('downloads');

      // A dropped File alone carries no path: the UI says so rather than importing something else.
      await page.evaluate(() => {
        const dt = new DataTransfer();
        dt.items.add(new File([new Uint8Array([1, 2, 3])], 'weights.pth'));
        document.querySelector('[data-testid=import-drop]').dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
      });
      await page.getByTestId('import-note').filter({ hasText: 'weights.pth' }).waitFor();
      // A drop carrying a file:// URI (as from a file manager) fills the path field.
      await page.evaluate((p) => {
        const dt = new DataTransfer();
        dt.setData('text/uri-list', `file://${encodeURI(p)}`);
        document.querySelector('[data-testid=import-drop]').dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
      }, pkl);
      expectTrue((await page.getByTestId('import-path').inputValue()) === pkl, 'dropped URI fills the path field');

      await page.getByTestId('import-path').fill(pkl);
      await page.getByTestId('import-arch').fill('demo');
      await page.getByTestId('import-start').click();
      const keys = page.getByTestId('import-report');
      const importFailed = await Promise.race([
        keys.waitFor({ timeout: 120_000 }).then(() => false),
        page.getByTestId('import-error').waitFor({ timeout: 120_000 }).then(() => true),
      ]);
      if (importFailed) throw new Error(`import failed: ${await page.getByTestId('import-error').textContent()}`);
      const count = async (g) => Number(await keys.locator(`details[data-group="${g}"]`).getAttribute('data-count'));
      const [matched, missing, unexpected, mismatched] = [await count('matched'), await count('missing'), await count('unexpected'), await count('shape-mismatched')];
      expectTrue(matched > 0 && missing === 0 && unexpected === 0 && mismatched === 0, `keys: ${matched} matched, ${missing} missing, ${unexpected} unexpected, ${mismatched} mismatched`);
      const iteration = await keys.locator('[data-fact=iteration]').textContent();
      // The exporter writes the official layout's 'iteration' and 'best_iou' fields; the report must show them.
      expectTrue(iteration === '10', `the checkpoint's iteration is the run's (10): ${iteration}`);
      const bestIou = await keys.locator('[data-fact="best IoU"]').textContent();
      expectTrue(bestIou !== '—', `best IoU shown from the checkpoint: ${bestIou}`);
      await keys.scrollIntoViewIfNeeded();
      await shot('import-key-report');
      log(`import: ${matched} keys matched, iteration ${iteration}, best IoU ${bestIou}`);

      // The same checkpoint uploaded from the browser: stored under the workspace's uploads/, byte for
      // byte, its server path filled in, and imported from there with the same key report.
      await page.getByTestId('import-upload').setInputFiles(pkl);
      await page.getByTestId('import-note').filter({ hasText: 'uploaded proda_checkpoint.pkl' }).waitFor({ timeout: 60_000 });
      const uploaded = await page.getByTestId('import-path').inputValue();
      expectTrue(uploaded.startsWith(path.join(server.workspace, 'uploads') + path.sep), `uploaded into the workspace's uploads/: ${uploaded}`);
      expectTrue(Buffer.compare(await readFile(uploaded), await readFile(pkl)) === 0, 'uploaded bytes equal the original');
      await page.getByTestId('import-start').click();
      await page.locator('[data-testid=import-report] p').filter({ hasText: /matched/ }).waitFor({ timeout: 60_000 });
      await page.waitForFunction(() => !document.querySelector('[data-testid=import-start]')?.disabled, null, { timeout: 60_000 });
      expectTrue((await count('matched')) === matched && (await count('missing')) === 0, 'the uploaded checkpoint imports with the same keys');
      log(`upload: ${uploaded} imported, ${matched} keys matched`);
    },
  },
];
