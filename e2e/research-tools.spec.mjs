/* global document, getComputedStyle -- the waitForFunction and evaluate callbacks run in the page */
// The researcher's tools beside the views: the grid searched by id, filtered by pseudo-labels and class
// presence and sorted by per-image mIoU and flip share in the service's order; the inspector saying why
// raw/denoised/flips are missing and which classes have no prototype (against maps.get); triage saying
// why a flipped share is "–"; two runs overlaid on one chart with a wall-time axis and their config
// differences. Tiny runs made through the API give it maps and curves.
import { api, demoRunDataset, expectEq, expectNoContrastViolations, expectTrue, openDemoWorkspace, waitRun } from './helpers.mjs';

export const title = 'grid and runs tools';
export const timeout = 900_000;

const net = { arch: 'demo', classes: 19 };
const common = { seed: 5, network: net, aug: { cropWidth: 64, cropHeight: 32, resizeBase: 128, resizeRange: [1, 1.25], flip: true }, validation: { every: 2 } };

/** The image ids of the grid's cells in display order. */
const gridOrder = (page) =>
  page.evaluate(() =>
    [...document.querySelectorAll('[data-testid=grid-cell]')]
      .map((c) => [Number(c.getAttribute('data-index')), c.getAttribute('data-image')])
      .sort((a, b) => a[0] - b[0])
      .map((x) => x[1]),
  );
const shown = (page, n) => page.locator(`[data-testid=grid-count][data-shown="${n}"]`).waitFor();
/** Triage's order: missing values last either way, ties by id. */
const order = (stats, value, ascending) =>
  [...stats]
    .sort((a, b) => {
      const va = value(a);
      const vb = value(b);
      if (va === null || vb === null) return va === vb ? a.imageId.localeCompare(b.imageId) : va === null ? 1 : -1;
      return (ascending ? va - vb : vb - va) || a.imageId.localeCompare(b.imageId);
    })
    .map((s) => s.imageId);

export const tests = [
  {
    name: 'grid query, missing layers and prototypes explained, runs overlaid with their config diff',
    async run({ page, server, shot, log }) {
      const token = server.token;
      const { src, tgt } = await openDemoWorkspace(page, server);
      const { datasets } = await api(page, token, 'datasets.list', {});
      const val = datasets.find((d) => d.split === 'target-val');
      expectTrue(val, 'a target-val dataset');
      const warm = (id, name, lr) =>
        api(page, token, 'runs.start', {
          config: { ...common, name, stage: 'warmup', source: demoRunDataset(src), target: demoRunDataset(tgt), val: demoRunDataset(val), optim: { batchSize: 2, iterations: 4, polyHorizon: 6, lr } },
          id,
        });
      const a = await warm('tools-a', 'tools A', 2.5e-3);
      await waitRun(page, token, a.id, ['succeeded'], 300_000);
      const b = await warm('tools-b', 'tools B', 1e-3);
      const soft = await api(page, token, 'runs.start', { config: { seed: 5, network: net, stage: 'pseudo', mode: 'soft', model: a.id, target: demoRunDataset(tgt), flip: false }, id: 'tools-soft' });
      await waitRun(page, token, b.id, ['succeeded'], 300_000);
      await waitRun(page, token, soft.id, ['succeeded'], 300_000);
      const softSource = { kind: 'run', runId: soft.id };

      // Grid: search by id, then pseudo-label filters and badges from the soft run.
      await page.setViewportSize({ width: 1280, height: 720 });
      await page.goto(server.url, { waitUntil: 'domcontentloaded' });
      await page.getByTestId('dataset-picker').selectOption(tgt.id);
      await page.locator('[data-testid=grid-cell] img').first().waitFor();
      const { items, total } = await api(page, token, 'images.list', { datasetId: tgt.id, offset: 0, limit: 500 });
      const target = items[Math.min(3, items.length - 1)];
      await page.getByTestId('grid-search').fill(target.id);
      await shown(page, 1);
      expectEq((await gridOrder(page)).join(), target.id, 'search by id keeps that image');
      await page.getByTestId('grid-search').press('Escape');
      await shown(page, total);
      await page.getByTestId('grid-stats-run').selectOption(soft.id);
      expectTrue(!(await page.evaluate(() => document.activeElement?.tagName === 'SELECT')), 'a used select gives focus back');
      const coverage = await api(page, token, 'maps.stats', { source: softSource, datasetId: tgt.id, imageIds: [] });
      expectEq(coverage.pseudoLabelled.length, total, 'the soft run pseudo-labelled every target-train image');
      await page.getByTestId('grid-filter').selectOption('pseudo');
      await shown(page, total);
      await page.getByTestId('grid-pseudo').first().waitFor();
      await page.getByTestId('grid-filter').selectOption('unlabelled');
      await shown(page, 0);
      // Specs share the workspace: another may have corrected an image already, so count them through the API.
      const correctedIds = (await api(page, token, 'labels.counts', { datasetId: tgt.id })).items.map((i) => i.imageId);
      await page.getByTestId('grid-filter').selectOption('corrected');
      await shown(page, correctedIds.length);
      expectEq(JSON.stringify((await gridOrder(page)).sort()), JSON.stringify([...correctedIds].sort()), 'the corrected filter shows exactly the corrected images');
      await page.getByTestId('grid-filter').selectOption('uncorrected');
      await shown(page, total - correctedIds.length);
      await page.getByTestId('grid-filter').selectOption('all');

      // Sort by per-image mIoU (worst first) and flip share (largest first): the service's statistics in triage's order.
      // The statistics first through the API, so the grid reads them from the service's cache.
      const stats = (await api(page, token, 'maps.stats', { source: softSource, datasetId: tgt.id })).images;
      await page.getByTestId('grid-sort').selectOption('miou');
      await page.getByTestId('job-progress').waitFor({ state: 'detached', timeout: 240_000 });
      await shown(page, total);
      const byMiou = order(stats, (s) => s.miou, true);
      await page.waitForFunction((first) => document.querySelector('[data-testid=grid-cell][data-index="0"]')?.getAttribute('data-image') === first, byMiou[0]);
      expectEq((await gridOrder(page)).slice(0, 4).join(), byMiou.slice(0, 4).join(), 'grid sorted by per-image mIoU');
      await shot('grid-sorted-by-miou');
      await page.getByTestId('grid-sort').selectOption('flippedShare');
      await page.getByTestId('grid-direction').click();
      const byFlips = order(stats, (s) => s.flippedShare, false);
      await page.waitForFunction((first) => document.querySelector('[data-testid=grid-cell][data-index="0"]')?.getAttribute('data-image') === first, byFlips[0]);
      expectEq((await gridOrder(page)).slice(0, 4).join(), byFlips.slice(0, 4).join(), 'grid sorted by flip share, largest first');
      // Class presence: road on at least 10 % of the predicted pixels.
      await page.getByTestId('grid-class').selectOption({ label: 'road' });
      await page.getByTestId('grid-presence').fill('10');
      await shown(page, stats.filter((s) => s.classShare[0] >= 0.1).length);
      await expectNoContrastViolations(page, 'grid with a query');
      await shot('grid-class-presence');
      await page.getByTestId('grid-presence').fill('0');
      await page.getByTestId('grid-sort').selectOption('dataset');
      await page.getByTestId('grid-direction').click();
      await shown(page, total);

      // Inspector on a pseudo-labelled image: classes without a prototype say so instead of numbers.
      await page.locator('[data-testid=grid-cell][data-index="0"]').click();
      await page.getByTestId('inspect-toggle').click();
      await page.getByTestId('map-source').selectOption(`run:${soft.id}`);
      await page.getByTestId('inspector-status').filter({ hasText: /maps/ }).waitFor({ timeout: 180_000 });
      const maps = await api(page, token, 'maps.get', { source: softSource, image: { datasetId: tgt.id, imageId: items[0].id }, layers: ['gt'] });
      const absent = maps.pseudo.prototypes.flatMap((p, k) => (p ? [] : [k]));
      log(`classes without a prototype: ${absent.map((k) => maps.classNames[k]).join(', ') || 'none'}`);
      expectTrue(absent.length > 0 && absent.length < 19, `some classes lack a prototype on the demo (${absent.length})`);
      expectEq(await page.getByTestId('layers-missing').count(), 0, 'no missing-layer note on a pseudo-labelled image');
      await page.getByLabel('Distance to class prototype', { exact: true }).check();
      const v = await page.getByTestId('viewer').boundingBox();
      await page.mouse.click(v.x + v.width / 2, v.y + v.height / 2);
      await page.getByTestId('pi-classes').waitFor();
      expectEq(await page.getByTestId('no-prototype').count(), absent.length, 'one "no prototype for this class" per class without one');
      for (const k of absent) expectEq(await page.locator(`[data-testid=pi-classes] tr[data-class="${k}"] [data-testid=no-prototype]`).innerText(), 'no prototype for this class', `class ${k}`);
      const present = maps.pseudo.prototypes.findIndex((p) => p);
      expectEq(await page.locator(`[data-testid=pi-classes] tr[data-class="${present}"] [data-testid=no-prototype]`).count(), 0, `class ${present} shows its distance`);
      await page.getByTestId('pi-no-prototype-note').filter({ hasText: `${absent.length} of 19 classes have no prototype` }).waitFor();
      // A distance heatmap of a class without a prototype says its values mean nothing.
      await page.getByTestId('focus-class').selectOption(String(absent[0]));
      await page.getByTestId('heatmap-no-prototype').filter({ hasText: 'no prototype for this class' }).waitFor();
      await page.getByTestId('focus-class').selectOption(String(present));
      await page.getByTestId('heatmap-no-prototype').waitFor({ state: 'detached' });
      await page.getByTestId('focus-class').selectOption(String(absent[0]));
      await page.getByTestId('heatmap-legend').waitFor();
      await expectNoContrastViolations(page, 'inspector with missing prototypes');
      await shot('no-prototype');

      // The held-out split: the soft run covered none of it, and the warm-up has no pseudo-labels at all.
      await page.getByTestId('inspect-toggle').click();
      await page.getByTestId('dataset-picker').selectOption(val.id);
      await page.locator('[data-testid=grid-cell] img').first().waitFor();
      await page.locator('[data-testid=grid-cell][data-index="0"]').click();
      await page.getByTestId('inspect-toggle').click();
      await page.getByTestId('map-source').selectOption(`run:${soft.id}`);
      const valTotal = (await api(page, token, 'images.list', { datasetId: val.id, offset: 0, limit: 1 })).total;
      await page.getByTestId('layers-missing').filter({ hasText: `no pseudo-labels for this dataset: ${soft.id} covered none of its ${valTotal} images` }).waitFor({ timeout: 180_000 });
      await shot('missing-layers-explained');
      await page.getByTestId('map-source').selectOption(`run:${a.id}`);
      await page.getByTestId('layers-missing').filter({ hasText: 'this source has no pseudo-label run' }).waitFor({ timeout: 180_000 });
      // Triage says why each flipped share is "–".
      await page.getByTestId('map-source').selectOption(`run:${soft.id}`);
      await page.getByTestId('tab-triage').click();
      await page.getByTestId('triage-why-missing').filter({ hasText: `flipped is “–” for ${valTotal} of ${valTotal} images: ${soft.id} pseudo-labelled 0 of ${valTotal} images` }).waitFor({ timeout: 240_000 });
      expectTrue(/covered none/.test(await page.getByTestId('triage-flipped').first().getAttribute('title')), 'a "–" cell names its reason');

      // Runs: two warm-ups on one chart, on iterations and on wall time, and their config differences.
      await page.getByTestId('tab-runs').click();
      await page.locator(`tr[data-run="${a.id}"] [data-testid=run-compare]`).check();
      await page.locator(`tr[data-run="${b.id}"] [data-testid=run-compare]`).check();
      await page.locator('[data-testid=overlay-chart][data-series="2"]').waitFor();
      const legend = await page.locator('[data-testid=overlay-chart] .u-legend').innerText();
      expectTrue(legend.includes('tools A (tools-a)') && legend.includes('tools B (tools-b)'), `legend names both runs (${legend.replace(/\s+/g, ' ')})`);
      const colours = await page.evaluate(() => [...document.querySelectorAll('[data-testid=overlay-chart] .u-legend .u-marker')].map((m) => getComputedStyle(m).borderColor));
      expectTrue(new Set(colours.slice(1)).size === 2, `one colour per run (${colours.join(' ')})`);
      await page.getByTestId('overlay-x-axis').selectOption('wall');
      await page.locator('[data-testid=overlay-chart][data-x-axis=wall]').waitFor();
      const lr = page.locator('[data-testid=config-diff] tr[data-path="optim.lr"]');
      await lr.waitFor();
      const cells = await lr.locator('td').allInnerTexts();
      expectEq(cells.join(' | '), '0.0025 | 0.001', 'config diff of the learning rate');
      expectTrue((await page.locator('[data-testid=config-diff] tr[data-path="name"]').count()) === 1, 'config diff lists the names');
      await expectNoContrastViolations(page, 'runs overlay and config diff');
      await shot('runs-overlay-config-diff');
    },
  },
];
