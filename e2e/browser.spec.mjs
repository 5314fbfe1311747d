/* global document -- the waitForFunction callbacks run in the page */
// Browser mode against the real `npm run serve` server: auth, the UI loading with the token, and the
// open-workspace → grid → image flow.
import { expectEq, expectTrue } from './helpers.mjs';
export const title = 'browser';

export const tests = [
  {
    name: 'without the token the page and API get 401 and the socket is refused',
    async run({ page, server, shot }) {
      const res = await page.goto(server.origin + '/', { waitUntil: 'domcontentloaded' });
      expectEq(res.status(), 401, 'page without token');
      const outcome = await page.evaluate(async (origin) => {
        const api = await fetch(`${origin}/api/workspace.current`, { method: 'POST', body: '{}' });
        const socket = await new Promise((resolve) => {
          const ws = new WebSocket(origin.replace('http', 'ws') + '/events');
          ws.onopen = () => resolve('open');
          ws.onerror = () => resolve('refused');
        });
        return { api: api.status, socket };
      }, server.origin);
      expectEq(outcome.api, 401, 'API without token');
      expectEq(outcome.socket, 'refused', 'socket without token');
      await shot('401');
    },
  },
  {
    name: 'with the token the UI loads under the strict CSP and shows the backend',
    async run({ page, server, shot, consoleErrors }) {
      const res = await page.goto(server.url, { waitUntil: 'domcontentloaded' });
      expectEq(res.status(), 200, 'page with token');
      expectTrue((res.headers()['content-security-policy'] ?? '').includes("script-src 'self'"), 'CSP header present');
      const status = page.getByTestId('status-backend');
      await status.filter({ hasText: /backend: (wasm|cpu|tensorflow|webgl|webgpu)/ }).waitFor();
      expectTrue(/GPU/.test(await status.innerText()), 'status bar says GPU or no GPU');
      await page.getByTestId('workspace-name').filter({ hasNotText: 'No workspace open' }).waitFor();
      await shot('loaded');
      expectEq(consoleErrors.length, 0, `console errors (CSP violations show here): ${consoleErrors.join(' | ')}`);
    },
  },
  {
    name: 'open a workspace, see the grid, open an image',
    async run({ page, server, shot }) {
      await page.goto(server.url, { waitUntil: 'domcontentloaded' });
      await page.getByTestId('workspace-path').fill(server.workspace);
      await page.getByTestId('workspace-open').click();
      await page.getByTestId('workspace-name').filter({ hasNotText: 'No workspace open' }).waitFor();
      const picker = page.getByTestId('dataset-picker');
      await picker.waitFor();
      expectTrue((await picker.locator('option').count()) >= 1, 'at least one dataset');
      await page.getByTestId('grid-count').filter({ hasText: /\d+ images/ }).waitFor();
      // A thumbnail really decoded, not just a cell.
      await page.locator('[data-testid=grid-cell] img').first().waitFor();
      const natural = await page.locator('[data-testid=grid-cell] img').first().evaluate((img) => img.naturalWidth);
      expectTrue(natural > 0, 'thumbnail decoded');
      await shot('grid');
      await page.getByTestId('grid-cell').first().click();
      const view = page.getByTestId('image-view');
      await view.waitFor();
      await page.getByTestId('image-view-size').filter({ hasText: /\d+×\d+/ }).waitFor();
      expectTrue((await view.locator('canvas').count()) >= 1, 'Konva canvas in the image view');
      await shot('image');
      // The demo source has ground truth: the label overlay draws into its own Konva layer.
      const labelLayer = view.locator('canvas').nth(1);
      const painted = () =>
        labelLayer.evaluate((c) => {
          const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
          let n = 0;
          for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
          return n;
        });
      expectEq(await painted(), 0, 'label layer empty before the toggle');
      await page.getByTestId('image-view-labels').check();
      await page.waitForFunction(
        () => {
          const c = document.querySelectorAll('[data-testid=image-view] canvas')[1];
          const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
          for (let i = 3; i < d.length; i += 4) if (d[i] > 0) return true;
          return false;
        },
        null,
        { timeout: 120_000 },
      );
      await shot('labels');
    },
  },
  {
    name: 'the grid renders only the visible cells when scrolled to the end',
    async run({ page, server, shot }) {
      await page.goto(server.url, { waitUntil: 'domcontentloaded' });
      await page.getByTestId('grid-count').filter({ hasText: /\d+ images/ }).waitFor();
      const total = Number((await page.getByTestId('grid-count').innerText()).replace(/[^\d]/g, ''));
      await page.getByTestId('grid').evaluate((el) => el.scrollTo({ top: el.scrollHeight }));
      await page.locator(`[data-testid=grid-cell][data-index="${total - 1}"]`).waitFor();
      const rendered = await page.getByTestId('grid-cell').count();
      expectTrue(rendered < Math.max(200, total), `rendered ${rendered} cells of ${total}`);
      await shot('end');
    },
  },
  {
    name: 'events pushed over the socket update the UI (another client creates a workspace)',
    async run({ page, server, tmp, shot }) {
      await page.goto(server.url, { waitUntil: 'domcontentloaded' });
      await page.getByTestId('grid-count').filter({ hasText: /\d+ images/ }).waitFor();
      // The event must find the page's socket connected: the page marks it when it opens.
      await page.locator('html[data-socket=open]').waitFor();
      const res = await fetch(`${server.origin}/api/workspace.create`, {
        method: 'POST',
        headers: { 'x-proda-token': server.token },
        body: JSON.stringify({ path: `${tmp}/second-workspace`, name: 'Second', demoCount: 2 }),
      });
      expectEq(res.status, 200, 'workspace.create from a second client');
      await page.getByTestId('workspace-name').filter({ hasText: 'Second' }).waitFor();
      await page.getByTestId('grid-count').filter({ hasText: '2 images' }).waitFor();
      await shot('second-workspace');
      // Put the original workspace back for the specs that follow.
      const back = await fetch(`${server.origin}/api/workspace.open`, {
        method: 'POST',
        headers: { 'x-proda-token': server.token },
        body: JSON.stringify({ path: server.workspace }),
      });
      expectEq(back.status, 200, 'reopen the e2e workspace');
    },
  },
  {
    name: 'a malformed request gets a validation error naming the field',
    async run({ page, server }) {
      await page.goto(server.url, { waitUntil: 'domcontentloaded' });
      const out = await page.evaluate(async (token) => {
        const r = await fetch('/api/images.list', {
          method: 'POST',
          headers: { 'x-proda-token': token },
          body: JSON.stringify({ datasetId: 'x', limit: 'lots' }),
        });
        return { status: r.status, body: await r.json() };
      }, server.token);
      expectEq(out.status, 400, 'status');
      expectEq(out.body.error.where, 'limit', 'field named');
      expectTrue(out.body.error.message.includes('limit'), 'message names the field');
    },
  },
];
