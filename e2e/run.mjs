// e2e runner: builds nothing (run `npm run build` first), starts `dist/node/serve.js` on a random port
// with a fresh workspace, drives Debian's Chromium through playwright-core, and runs every
// `e2e/*.spec.mjs`. Each test gets its own browser context and leaves a screenshot in e2e/artifacts/,
// pass or fail. Prints `N passed, N failed, N skipped` last and exits non-zero on any failure.
//
// A spec module exports `title`, optional `skip()` returning a reason string (or null), optional
// `fixture: 'browser' | 'none'` (default 'browser'), optional `timeout` (ms, per test; default 300 s), and
// `tests: [{ name, run(t), timeout? }]` where t has
// { page, server: { url, origin, token, workspace, port }, shot(label), artifacts, log }.
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { launchChromium, root, startServer, withTimeout, WAIT_MS } from './helpers.mjs';

const artifacts = path.join(root, 'e2e', 'artifacts');
// A cap, not a duration: generous so a loaded machine does not fail a test that is merely slow.
const TEST_TIMEOUT = Number(process.env.E2E_TEST_TIMEOUT_MS ?? 300_000);
const filter = process.argv[2] ?? '';

const slug = (s) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');

async function main() {
  const t0 = performance.now();
  // Screenshots of this run only: stale ones from an earlier run would mislead.
  if (!filter) await rm(artifacts, { recursive: true, force: true });
  await mkdir(artifacts, { recursive: true });
  const specFiles = (await readdir(path.join(root, 'e2e')))
    .filter((f) => f.endsWith('.spec.mjs') && f.includes(filter))
    .sort();
  const specs = [];
  for (const f of specFiles) specs.push({ file: f, mod: await import(pathToFileURL(path.join(root, 'e2e', f)).href) });

  const tmp = await mkdtemp(path.join(os.tmpdir(), 'proda-e2e-'));
  let server = null;
  let browser = null;
  const counts = { passed: 0, failed: 0, skipped: 0 };
  const failures = [];

  try {
    for (const { file, mod } of specs) {
      const title = mod.title ?? file;
      const reason = mod.skip ? await mod.skip() : null;
      if (reason) {
        for (const test of mod.tests) {
          counts.skipped++;
          console.log(`  - ${title} › ${test.name} (skipped: ${reason})`);
        }
        continue;
      }
      const useBrowser = (mod.fixture ?? 'browser') === 'browser';
      if (useBrowser && !server) {
        // One server (the expensive part: it generates the demo workspace) shared by all browser specs;
        // a small demo keeps that first start to a few seconds.
        const workspace = process.env.PRODA_E2E_WORKSPACE ?? path.join(tmp, 'workspace');
        const s0 = performance.now();
        server = await startServer(workspace, path.join(tmp, 'data'), ['--demo-count', process.env.E2E_DEMO_COUNT ?? '12']);
        const s1 = performance.now();
        browser = await launchChromium();
        console.log(`  (server with a fresh demo workspace ready in ${((s1 - s0) / 1000).toFixed(1)} s, Chromium in ${((performance.now() - s1) / 1000).toFixed(1)} s)`);
      }
      for (const test of mod.tests) {
        const name = `${title} › ${test.name}`;
        const started = performance.now();
        const context = useBrowser ? await browser.newContext({ viewport: { width: 1280, height: 800 } }) : null;
        // Every implicit wait (waitFor, click, fill) gets the generous default: a loaded 2-core machine
        // renders and answers slowly, and each wait ends as soon as the UI shows the state it waits for.
        context?.setDefaultTimeout(WAIT_MS);
        const page = context ? await context.newPage() : null;
        const consoleErrors = [];
        page?.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
        page?.on('pageerror', (e) => consoleErrors.push(String(e)));
        const base = `${slug(file.replace(/\.spec\.mjs$/, ''))}--${slug(test.name)}`;
        let shots = 0;
        const t = {
          page,
          server,
          artifacts,
          tmp,
          consoleErrors,
          log: (...a) => console.log('    ', ...a),
          shot: async (label) => {
            shots++;
            if (page) await page.screenshot({ path: path.join(artifacts, `${base}--${slug(label)}.png`) });
          },
        };
        try {
          await withTimeout(test.run(t), test.timeout ?? mod.timeout ?? TEST_TIMEOUT, name);
          counts.passed++;
          console.log(`  ✓ ${name} (${Math.round(performance.now() - started)} ms)`);
        } catch (err) {
          counts.failed++;
          failures.push({ name, err, consoleErrors });
          console.log(`  ✗ ${name} (${Math.round(performance.now() - started)} ms)\n      ${String(err?.stack ?? err).split('\n').slice(0, 6).join('\n      ')}`);
          if (consoleErrors.length) console.log(`      console errors:\n        ${consoleErrors.join('\n        ')}`);
        } finally {
          // One screenshot per test at least, whatever happened.
          if (page && shots === 0) await page.screenshot({ path: path.join(artifacts, `${base}.png`) }).catch(() => {});
          if (page && !page.isClosed() && failures.at(-1)?.name === name) {
            await page.screenshot({ path: path.join(artifacts, `${base}--failure.png`) }).catch(() => {});
          }
          await context?.close().catch(() => {});
        }
      }
    }
  } catch (err) {
    counts.failed++;
    console.log(`  ✗ e2e setup: ${err?.stack ?? err}`);
    if (server) console.log(server.output());
  } finally {
    await browser?.close().catch(() => {});
    await server?.stop();
    // A run process the server started may still be finishing a write; retry, and never fail the run on cleanup.
    if (!process.env.PRODA_E2E_KEEP) await rm(tmp, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 }).catch((e) => console.warn(`cleanup: ${e.message}`));
  }

  const secs = ((performance.now() - t0) / 1000).toFixed(1);
  console.log(`\ne2e: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped (${secs} s; screenshots in e2e/artifacts/)`);
  process.exit(counts.failed > 0 || counts.passed + counts.skipped === 0 ? 1 : 0);
}

await main();
