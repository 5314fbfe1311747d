/* global document -- the waitForFunction callback runs in the page */
// The run form on the demo workspace: without a preset it proposes what the workspace can run (the demo
// network at demo-quick size, not ResNet-101 for 62,412 iterations), never proposes the target oracle as
// stage 1's init, and when a person picks the oracle anyway, main refuses the start naming the run and why.
import { api, demoRunDataset, expectEq, expectTrue, openDemoWorkspace, waitRun } from './helpers.mjs';

export const title = 'runs-form';
export const timeout = 420_000;

const net = { arch: 'demo', classes: 19 };
const tiny = { batchSize: 2, iterations: 2, polyHorizon: 3, lr: 2.5e-3 };
const common = { seed: 3, network: net, aug: { cropWidth: 64, cropHeight: 32, resizeBase: 128, resizeRange: [1, 1.25], flip: true }, validation: { every: 0 } };

export const tests = [
  {
    name: 'the form proposes a runnable stage 1 and main refuses one initialised from the target oracle',
    async run({ page, server, shot }) {
      const token = server.token;
      const { src, tgt } = await openDemoWorkspace(page, server);
      const warm = await api(page, token, 'runs.start', {
        config: { ...common, name: 'source-only warm-up', stage: 'warmup', source: demoRunDataset(src), adversarialWeight: 0, optim: tiny },
        id: 'form-warmup',
      });
      const oracle = await api(page, token, 'runs.start', {
        config: { ...common, name: 'target oracle', stage: 'warmup', source: demoRunDataset(tgt), targetLabels: true, adversarialWeight: 0, optim: tiny },
        id: 'form-oracle',
      });
      await waitRun(page, token, warm.id, ['succeeded'], 240_000);
      await waitRun(page, token, oracle.id, ['succeeded'], 240_000);
      const pseudo = await api(page, token, 'runs.start', {
        config: { seed: 3, network: net, stage: 'pseudo', mode: 'soft', model: warm.id, target: demoRunDataset(tgt), flip: false },
        id: 'form-soft',
      });
      await waitRun(page, token, pseudo.id, ['succeeded'], 240_000);

      await page.getByTestId('inspect-toggle').click();
      await page.getByTestId('tab-runs').click();
      // Run names are shown in the list.
      await page.locator('[data-run="form-oracle"]').filter({ hasText: 'target oracle' }).waitFor();
      await page.getByTestId('new-run').click();
      const form = page.getByTestId('run-form');
      await form.waitFor();
      // No preset clicked: the demo workspace's defaults.
      expectEq(await form.locator('input[name="network.arch"]').inputValue(), 'demo', 'default arch');
      expectEq(await form.locator('input[name="optim.iterations"]').inputValue(), '16', 'default iterations (demo-quick stage 1)');
      expectTrue(await page.getByTestId('preset-demo-quick').evaluate((b) => b.classList.contains('active')), 'demo-quick preset marked active');
      // Proposed upstream runs: the source-only warm-up and the soft pseudo-labels, never the oracle.
      await page.waitForFunction(() => document.querySelector('[data-testid=run-form] select[name=init]')?.value === 'form-warmup', null, { timeout: 20_000 });
      expectEq(await form.locator('select[name=pseudo]').inputValue(), 'form-soft', 'proposed pseudo run');
      expectTrue((await form.locator('select[name=init] option[value="form-oracle"]').innerText()).includes('oracle'), 'the oracle is labelled as such in the picker');
      await shot('proposed');

      // Other specs share this server's workspace and may have made stage-1 runs: count, do not assume none.
      const before = (await api(page, token, 'runs.list', { filter: { stage: 'stage1' } })).length;
      await form.locator('select[name=init]').selectOption('form-oracle');
      await page.getByTestId('run-start').click();
      const err = page.getByTestId('run-start-error');
      await err.waitFor({ timeout: 60_000 });
      const text = await err.innerText();
      expectTrue(/run form-oracle trained on target labels/.test(text), `refusal names the oracle and why: ${text}`);
      expectTrue(/adaptation stage must never start from a model that saw target labels/.test(text), `refusal says what is wrong: ${text}`);
      const runs = await api(page, token, 'runs.list', { filter: { stage: 'stage1' } });
      expectEq(runs.length, before, 'no stage-1 run was created');
      await shot('refused');
    },
  },
];
