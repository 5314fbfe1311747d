// The newcomer's path: `proda demo --quick --workspace W` trains the real demo graph (warm-up, pseudo-labels,
// stage 1, distillation, baselines, evals; a few minutes on 2 cores), then `serve --workspace W` opens W as a
// workspace: every run is listed, each opens in the run detail with the state the CLI left, a finished
// stage-1 run opens in the inspector on its maps. Then W loses its workspace.json, as an older proda left
// it: the Open dialog offers to adopt it, and a fresh `serve --workspace W` adopts it and says so.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { api, expectEq, expectTrue, launchChromium, root, startServer, WAIT_MS } from './helpers.mjs';

export const title = 'proda demo workspace';
export const fixture = 'none';
// The quick demo trains eleven real runs: about 90 s on 2 idle cores; one run here under a load average of
// 25 took 17 min. The cap is generous; every wait inside ends when the state it waits for shows.
export const timeout = 2_400_000;

/** Runs `proda` (the built CLI) to its end; resolves with its exit code and output. */
function proda(args, log) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, 'bin', 'proda.mjs'), ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => {
      err += d;
      for (const line of String(d).split('\n')) if (/started|succeeded|failed|generating|workspace\.json/.test(line)) log(line.trim());
    });
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

async function newPage(browser) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  context.setDefaultTimeout(WAIT_MS);
  return context.newPage();
}

/** The open workspace is W with its demo datasets and preset; every run is listed and inspectable. */
async function checkWorkspace(page, server, runIds, artifacts, label) {
  await page.getByTestId('workspace-name').filter({ hasText: path.basename(server.workspace) }).waitFor();
  const info = await api(page, server.token, 'workspace.current', {});
  expectEq(info.preset, 'demo-quick', 'workspace preset');
  const ids = info.datasets.map((d) => d.id);
  for (const id of ['demo-quick-source', 'demo-quick-target-train', 'demo-quick-target-val']) expectTrue(ids.includes(id), `dataset ${id} registered (have ${ids.join(', ')})`);

  // Every run the CLI made is listed by the service and in the runs panel, and opens in the detail.
  const listed = (await api(page, server.token, 'runs.list', {})).map((r) => r.id).sort();
  expectEq(JSON.stringify(listed), JSON.stringify([...runIds].sort()), 'runs listed');
  await page.getByTestId('dataset-picker').selectOption('demo-quick-target-val');
  await page.getByTestId('inspect-toggle').click();
  await page.getByTestId('tab-runs').click();
  for (const id of runIds) {
    const row = page.locator(`[data-testid=runs-panel] tr[data-run="${id}"]`);
    await row.waitFor();
    expectEq(await row.getAttribute('data-state'), 'succeeded', `${id} state in the list`);
    await row.click();
    await page.locator(`[data-testid=run-detail][data-run="${id}"][data-state=succeeded]`).waitFor();
    const got = await api(page, server.token, 'runs.get', { id });
    expectEq(got.summary.state, 'succeeded', `${id} state from runs.get`);
  }
  await page.screenshot({ path: path.join(artifacts, `cli-demo--${label}-runs.png`) });

  // A stage-1 run opens in the inspector: its maps are computed for a target image.
  const stage1 = runIds.find((id) => id.endsWith('-stage1'));
  await page.locator(`[data-testid=runs-panel] tr[data-run="${stage1}"]`).click();
  await page.locator(`[data-testid=run-detail][data-run="${stage1}"][data-state=succeeded]`).waitFor();
  await page.getByTestId('run-open').click();
  await page.locator('[data-testid=grid-cell]').first().click();
  await page.getByTestId('inspector-status').filter({ hasText: /maps/ }).waitFor({ timeout: 240_000 });
  await page.screenshot({ path: path.join(artifacts, `cli-demo--${label}-inspector.png`) });
}

export const tests = [
  {
    name: 'proda demo --quick writes a workspace that serve opens with its runs; without workspace.json serve adopts it',
    async run({ tmp, artifacts, log }) {
      const ws = path.join(tmp, 'cli-demo');
      const t0 = Date.now();
      const r = await proda(['demo', '--quick', '--workspace', ws, '--json'], log);
      log(`proda demo --quick: exit ${r.code} in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
      if (r.code !== 0) throw new Error(`proda demo --quick exited ${r.code}:\n${r.err.slice(-3000)}\n${r.out.slice(-2000)}`);
      const summary = JSON.parse(r.out);
      expectEq(summary.smokeTest, true, 'the quick demo says it is a smoke test');
      const runIds = [...new Set(summary.perSeed.flatMap((s) => Object.values(s.runs)))];
      expectTrue(runIds.length >= 8, `the demo graph's runs (${runIds.join(', ')})`);
      const file = JSON.parse(await readFile(path.join(ws, 'workspace.json'), 'utf8'));
      expectEq(file.settings.preset, 'demo-quick', 'workspace.json preset');

      const browser = await launchChromium();
      try {
        let server = await startServer(ws, path.join(tmp, 'data-cli'));
        try {
          expectTrue(!/adopted/.test(server.output()), 'a workspace the CLI wrote opens without adoption');
          const page = await newPage(browser);
          await page.goto(server.url, { waitUntil: 'domcontentloaded' });
          await checkWorkspace(page, server, runIds, artifacts, 'opened');

          // Without workspace.json, Open refuses the folder but offers to adopt it; adopting opens the runs.
          await rm(path.join(ws, 'workspace.json'));
          await page.getByTestId('workspace-path').fill(ws);
          await page.getByTestId('workspace-open').click();
          await page.getByTestId('workspace-adopt-offer').filter({ hasText: `holds ${runIds.length} runs` }).waitFor();
          await page.screenshot({ path: path.join(artifacts, 'cli-demo--adopt-offer.png') });
          await page.getByTestId('workspace-adopt').click();
          await page.getByTestId('workspace-adopt-offer').waitFor({ state: 'detached' });
          expectTrue(existsSync(path.join(ws, 'workspace.json')), 'adopting from the Open dialog wrote workspace.json');
          await page.reload({ waitUntil: 'domcontentloaded' });
          await checkWorkspace(page, server, runIds, artifacts, 'adopted-in-app');
          await page.context().close();
        } finally {
          await server.stop();
        }

        // serve --workspace on such a folder adopts it and says so.
        await rm(path.join(ws, 'workspace.json'));
        server = await startServer(ws, path.join(tmp, 'data-cli'));
        try {
          expectTrue(/adopted .*cli-demo: it held \d+ runs and no workspace.json/.test(server.output()), `serve says it adopted the folder:\n${server.output()}`);
          expectTrue(existsSync(path.join(ws, 'workspace.json')), 'adoption wrote workspace.json');
          const page = await newPage(browser);
          await page.goto(server.url, { waitUntil: 'domcontentloaded' });
          await checkWorkspace(page, server, runIds, artifacts, 'adopted-by-serve');
          await page.context().close();
        } finally {
          await server.stop();
        }
      } finally {
        await browser.close();
      }
    },
  },
];
