/* global window, document -- expectNoContrastViolations evaluates in the page */
// Helpers the runner and the specs share: starting the real server and Chromium, contract calls through
// the page's own origin and token, and waiting for a run to reach a state. Not a spec (the runner loads
// only *.spec.mjs).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/**
 * Cap of a wait on UI state with no explicit timeout (Playwright's own default is 30 s). Waits end when
 * the state shows, so a generous cap costs nothing on a quiet machine and keeps a loaded one from flaking.
 */
export const WAIT_MS = Number(process.env.E2E_WAIT_MS ?? 120_000);

export function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Starts the real server (`dist/node/serve.js`) on a free port and resolves once it printed its URL. */
export async function startServer(workspace, dataDir, extraArgs = []) {
  const entry = path.join(root, 'dist', 'node', 'serve.js');
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`npm run build\` first`);
  const child = spawn(process.execPath, [entry, '--port', '0', '--workspace', workspace, ...extraArgs], {
    cwd: root,
    env: { ...process.env, PRODA_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const url = await withTimeout(
    new Promise((resolve, reject) => {
      const onData = (d) => {
        out += d;
        const m = out.match(/http:\/\/\S+\?token=[0-9a-f]+/);
        if (m) resolve(m[0]);
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', (d) => (out += d));
      child.on('exit', (code) => reject(new Error(`server exited with ${code} before printing its URL:\n${out}`)));
    }),
    120_000,
    'server start',
  );
  const u = new URL(url);
  return {
    url,
    origin: u.origin,
    token: u.searchParams.get('token'),
    port: Number(u.port),
    workspace,
    output: () => out,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', resolve);
        child.kill('SIGTERM');
      }),
  };
}

// One browser; every test gets a fresh context (its own cookies and storage), so tests cannot leak
// auth state into each other. Playwright gives the browser a fresh temporary profile.
export const launchChromium = () =>
  chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });


export const expectEq = (actual, expected, what) => {
  if (actual !== expected) throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
};

export const expectTrue = (cond, what) => {
  if (!cond) throw new Error(what);
};

/** Calls a contract request over HTTP from inside the page; throws with the contract error otherwise. */
export async function api(page, token, name, body) {
  const r = await page.evaluate(
    async ([n, b, tok]) => {
      const res = await fetch(`/api/${n}`, { method: 'POST', headers: { 'x-proda-token': tok }, body: JSON.stringify(b) });
      return res.json();
    },
    [name, body, token],
  );
  if (!r.ok) throw new Error(`${name}: ${JSON.stringify(r.error)}`);
  return r.value;
}

/** Polls runs.get until the run is in one of `states`; a failed run throws with its log tail. */
export async function waitRun(page, token, id, states, timeoutMs) {
  const t0 = Date.now();
  for (;;) {
    const r = await api(page, token, 'runs.get', { id });
    if (states.includes(r.summary.state)) return r;
    if (r.summary.state === 'failed') throw new Error(`run ${id} failed: ${(r.status.logTail ?? []).join('\n')}`);
    if (Date.now() - t0 > timeoutMs) throw new Error(`run ${id} still ${r.summary.state} after ${timeoutMs} ms`);
    await page.waitForTimeout(500);
  }
}

/** A demo dataset ref as a run config takes it. */
export const demoRunDataset = (ds) => ({ root: ds.root, format: 'demo', split: ds.split, classSet: '19' });

/** Opens the app on the served demo workspace and returns its source and target-train datasets. */
export async function openDemoWorkspace(page, server) {
  await page.setViewportSize({ width: 1400, height: 900 });
  await page.goto(server.url, { waitUntil: 'domcontentloaded' });
  await page.getByTestId('workspace-name').filter({ hasNotText: 'No workspace open' }).waitFor();
  const { datasets } = await api(page, server.token, 'datasets.list', {});
  const src = datasets.find((d) => d.split === 'source');
  const tgt = datasets.find((d) => d.split === 'target-train');
  expectTrue(src && tgt, `demo source and target-train datasets (have ${datasets.map((d) => d.id).join(', ')})`);
  return { src, tgt };
}

/**
 * Runs axe-core's colour-contrast rule (only that rule) on the page as it is now and throws, listing each
 * offending element with its colours and ratio, unless there are none. axe is evaluated through the
 * debugging protocol, which the page's strict CSP does not block.
 */
let axeSource = null;
/** Where the inspector draws the image, fitted inside the viewer (16 px margin), and the image's own size. */
export async function fittedImage(page) {
  const g = await page.evaluate(() => {
    const c = document.querySelector('[data-testid=viewer]').getBoundingClientRect();
    const [w, h] = document.querySelector('[data-testid=inspector-status]').textContent.match(/(\d+)×(\d+)/).slice(1).map(Number);
    return { left: c.left, top: c.top, width: c.width, height: c.height, w, h };
  });
  const scale = Math.min((g.width - 16) / g.w, (g.height - 16) / g.h);
  const clip = { x: g.left + (g.width - g.w * scale) / 2, y: g.top + (g.height - g.h * scale) / 2, width: g.w * scale, height: g.h * scale };
  return { w: g.w, h: g.h, clip };
}

export async function expectNoContrastViolations(page, what) {
  if (!axeSource) {
    const { readFile } = await import('node:fs/promises');
    const { createRequire } = await import('node:module');
    axeSource = await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  }
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(axeSource);
  const result = await page.evaluate(async () => {
    const r = await window.axe.run(document, { runOnly: { type: 'rule', values: ['color-contrast'] }, resultTypes: ['violations'] });
    return r.violations.flatMap((v) => v.nodes.map((n) => `${n.target.join(' ')}: ${n.any.map((a) => a.message).join('; ')}`));
  });
  if (result.length) throw new Error(`${what}: ${result.length} colour-contrast violations:\n  ${result.slice(0, 15).join('\n  ')}`);
}
