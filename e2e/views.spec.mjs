/* global document -- the waitForFunction callbacks run in the page */
// Every view, legible: axe-core's colour-contrast rule finds nothing on the grid, the inspector with a
// heatmap and the pixel readout, the shortcut sheet, the confusion matrix, IoU compare, the runs panel
// with a chart and with an eval run's scores, and the annotation editor; each is screenshotted at
// 1440×900 and 1280×720 (e2e/artifacts/views--*.png), and at 1280×720 the pixel readout and the heatmap's
// colour bar are above the fold. Tiny runs made through the API give it maps to show.
import { api, demoRunDataset, expectEq, expectNoContrastViolations, expectTrue, openDemoWorkspace, waitRun } from './helpers.mjs';

export const title = 'views';
export const timeout = 540_000;

const net = { arch: 'demo', classes: 19 };
const common = { seed: 5, network: net, aug: { cropWidth: 64, cropHeight: 32, resizeBase: 128, resizeRange: [1, 1.25], flip: true }, validation: { every: 2 } };
const SIZES = [
  { width: 1440, height: 900 },
  { width: 1280, height: 720 },
];

async function within(page, testId, height) {
  const box = await page.getByTestId(testId).first().boundingBox();
  expectTrue(box, `${testId} is on screen`);
  expectTrue(box.y + Math.min(box.height, 40) <= height, `${testId} starts above the fold at height ${height} (top ${Math.round(box.y)})`);
}

export const tests = [
  {
    name: 'every view passes the colour-contrast rule and is captured at 1440×900 and 1280×720',
    async run({ page, server, artifacts, log }) {
      const token = server.token;
      const { src, tgt } = await openDemoWorkspace(page, server);
      const warm = await api(page, token, 'runs.start', {
        config: { ...common, name: 'views warm-up', stage: 'warmup', source: demoRunDataset(src), target: demoRunDataset(tgt), val: demoRunDataset(tgt), optim: { batchSize: 2, iterations: 6, polyHorizon: 9, lr: 2.5e-3 } },
        id: 'views-warmup',
      });
      await waitRun(page, token, warm.id, ['succeeded'], 300_000);
      const soft = await api(page, token, 'runs.start', { config: { seed: 5, network: net, stage: 'pseudo', mode: 'soft', model: warm.id, target: demoRunDataset(tgt), flip: false }, id: 'views-soft' });
      const ev = await api(page, token, 'runs.start', { config: { seed: 5, stage: 'eval', model: warm.id, val: demoRunDataset(tgt), bn: 'running' }, id: 'views-eval' });
      await waitRun(page, token, soft.id, ['succeeded'], 300_000);
      await waitRun(page, token, ev.id, ['succeeded'], 300_000);

      const shoot = async (view) => {
        const { width, height } = page.viewportSize();
        await page.screenshot({ path: `${artifacts}/views--${view}--${width}x${height}.png` });
      };

      for (const size of SIZES) {
        await page.setViewportSize(size);
        await page.goto(server.url, { waitUntil: 'domcontentloaded' });
        await page.getByTestId('dataset-picker').selectOption(tgt.id);
        await page.locator('[data-testid=grid-cell] img').first().waitFor();
        if (size === SIZES[0]) {
          // The check can fail: grey on grey is reported.
          await page.evaluate(() => {
            const d = document.createElement('div');
            d.id = 'contrast-probe';
            d.textContent = 'low contrast probe';
            // CSSOM, not a style attribute: the page's CSP refuses inline style attributes.
            Object.assign(d.style, { color: '#777', background: '#888', position: 'fixed', top: '0', left: '0', zIndex: '99' });
            document.body.append(d);
          });
          const caught = await expectNoContrastViolations(page, 'probe').then(() => null, (e) => e.message);
          expectTrue(caught && caught.includes('#contrast-probe'), `axe reports a grey-on-grey probe (got: ${caught})`);
          await page.evaluate(() => document.getElementById('contrast-probe').remove());
        }
        await expectNoContrastViolations(page, `grid ${size.width}`);
        await shoot('grid');

        // Inspector on the soft pseudo-label run: distance-to-car heatmap and the readout under the cursor.
        await page.getByTestId('grid-cell').first().click();
        await page.getByTestId('inspect-toggle').click();
        await page.getByTestId('map-source').selectOption(`run:${soft.id}`);
        await page.getByTestId('inspector-status').filter({ hasText: /maps/ }).waitFor({ timeout: 180_000 });
        await page.getByTestId('focus-class').selectOption({ label: 'car' });
        await page.getByLabel('Distance to class prototype', { exact: true }).check();
        await page.getByTestId('heatmap-legend').filter({ hasText: 'car' }).waitFor();
        const v = await page.getByTestId('viewer').boundingBox();
        await page.mouse.move(v.x + v.width / 2, v.y + v.height / 2);
        await page.getByTestId('pixel-inspector').waitFor();
        await page.getByTestId('inspector-zoom').filter({ hasText: /zoom \d+ %/ }).waitFor();
        expectTrue(/image 1 of \d+/.test(await page.getByTestId('inspector-image').innerText()), 'inspector names the image and its index');
        await within(page, 'pixel-inspector', size.height);
        await within(page, 'heatmap-legend', size.height);
        await expectNoContrastViolations(page, `inspector ${size.width}`);
        await shoot('inspector');

        // The shortcut sheet: readable, and Esc closes it.
        await page.keyboard.press('?');
        await page.getByTestId('shortcuts-sheet').waitFor();
        await expectNoContrastViolations(page, `shortcut sheet ${size.width}`);
        await shoot('shortcuts');
        await page.keyboard.press('Escape');
        await page.getByTestId('shortcuts-sheet').waitFor({ state: 'detached', timeout: 5_000 });

        await page.getByTestId('tab-confusion').click();
        await page.getByTestId('confusion').waitFor({ timeout: 180_000 });
        expectEq(await page.getByTestId('cm-col-13').innerText(), 'car', 'column label');
        await page.getByTestId('cm-colorbar').waitFor();
        await expectNoContrastViolations(page, `confusion ${size.width}`);
        await shoot('confusion');

        await page.getByTestId('tab-iou').click();
        await page.getByTestId('map-source-b').selectOption(`run:${warm.id}`);
        await page.getByTestId('iou-caption').filter({ hasText: 'Δ = B − A' }).waitFor({ timeout: 180_000 });
        await page.getByTestId('iou-bars').waitFor({ timeout: 180_000 });
        await expectNoContrastViolations(page, `IoU compare ${size.width}`);
        await shoot('iou-compare');

        await page.getByTestId('tab-runs').click();
        await page.locator(`[data-run="${warm.id}"]`).first().click();
        await page.locator('[data-testid=run-chart] .u-legend').waitFor();
        await page.waitForFunction(() => Number(document.querySelector('[data-testid=run-chart]')?.getAttribute('data-points') ?? 0) > 0);
        await page.getByTestId('chart-log').check();
        await expectNoContrastViolations(page, `runs panel with a chart ${size.width}`);
        await shoot('runs-chart');
        await page.locator(`tr[data-run="${ev.id}"]`).click();
        await page.getByTestId('eval-scores').waitFor();
        await expectNoContrastViolations(page, `runs panel, eval scores ${size.width}`);
        await shoot('runs-eval');

        // The annotation editor on the same image.
        await page.getByTestId('inspect-toggle').click();
        await page.getByTestId('annotate-toggle').click();
        await page.getByTestId('annotation-editor').waitFor();
        await page.getByTestId('annotation-status').filter({ hasText: /from / }).waitFor();
        await page.keyboard.press('3');
        expectEq(await page.getByTestId('class-2').getAttribute('aria-checked'), 'true', 'key 3 picks the third class');
        await expectNoContrastViolations(page, `annotation editor ${size.width}`);
        await shoot('annotation');
        log(`views at ${size.width}×${size.height}: no colour-contrast violations`);
      }
    },
  },
];
