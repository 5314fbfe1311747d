// What the model-source e2e specs and the lag benchmark (bench/lag.bench.ts) make outside the app before
// they drive it: a checkpoint in the official ProDA layout written by PyTorch, a tiny Cityscapes-layout
// folder, contract calls from Node with the server's token, and a latency probe that runs while some
// other request is in flight. Not a spec (the runner loads only *.spec.mjs).
import { spawn, spawnSync } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { root } from './helpers.mjs';

const PYTHON = '/usr/bin/python3';
const WRITE_OFFICIAL = path.join(root, 'fixtures', 'interop', 'write_official.py');

/** null when /usr/bin/python3 can import torch, else why not (a spec's skip reason). */
export function torchMissing() {
  const r = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  return r.status === 0 ? null : `${PYTHON} cannot import torch; install Debian's python3-torch (.ci/run does)`;
}

/** The engine's demo preset in make_checkpoints.py's terms (main/interop/torch-fixtures.ts smallSpec). */
export function demoNetSpec() {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', "const m = await import('./main/interop/torch-fixtures.ts'); console.log(JSON.stringify(m.smallSpec(19)));"],
    { cwd: root, encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`demo net spec: ${r.stderr.slice(-800)}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

/**
 * Writes `file` as the official train.py saves a checkpoint (random seeded weights, objective_vectors
 * inside): a ResNet-101 with `{ r101: true }`, else the small net `spec`. With `prototypesBeside`, also the
 * calc_prototype.py file next to it. Resolves to the paths written. Runs asynchronously: a server under
 * measurement shares the machine, but not this process's event loop.
 */
export async function writeOfficialCheckpoint(file, { r101 = false, spec = null, prototypesBeside = false, seed = 1337 } = {}) {
  const args = [WRITE_OFFICIAL, file, ...(r101 ? ['--r101'] : ['--small', JSON.stringify(spec)]), '--seed', String(seed), ...(prototypesBeside ? ['--prototypes-beside'] : [])];
  const child = spawn(PYTHON, args, { env: { ...process.env, OMP_NUM_THREADS: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const code = await new Promise((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`write_official.py exited with ${code}: ${err.slice(-1500)}`);
  return out.trim().split('\n');
}

// A few Cityscapes labelIds (the official loader reads raw labelIds) and what each becomes in train ids.
const SKY = 23; // sky
const ROAD = 7; // road
const CAR = 26; // car
const BUILDING = 11; // building

/**
 * A Cityscapes-layout folder: leftImg8bit/<split>/<city>/<name>_leftImg8bit.png and the matching
 * gtFine/<split>/<city>/<name>_gtFine_labelIds.png (sky over buildings over road, one car), each image a
 * little different. Resolves to the image ids (paths relative to leftImg8bit/<split>/, as the dataset lists them).
 */
export async function writeCityscapesFolder(dir, { split = 'val', city = 'lindau', count = 2, width = 256, height = 128 } = {}) {
  const imgDir = path.join(dir, 'leftImg8bit', split, city);
  const lblDir = path.join(dir, 'gtFine', split, city);
  await mkdir(imgDir, { recursive: true });
  await mkdir(lblDir, { recursive: true });
  const ids = [];
  for (let n = 0; n < count; n++) {
    const name = `${city}_${String(n).padStart(6, '0')}_000019`;
    const rgb = Buffer.alloc(width * height * 3);
    const ids8 = Buffer.alloc(width * height);
    const carX = Math.floor((((n * 37) % 60) / 100) * width);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const i = y * width + x;
        const inCar = y > height * 0.55 && y < height * 0.8 && x >= carX && x < carX + width / 4;
        const id = inCar ? CAR : y < height * 0.3 ? SKY : y < height * 0.6 ? BUILDING : ROAD;
        ids8[i] = id;
        // Colours roughly like the classes, with texture so the network sees more than flat fields.
        const t = ((x * 7 + y * 13 + n * 31) % 23) - 11;
        const c = id === SKY ? [110, 160, 220] : id === BUILDING ? [120, 110, 100] : id === CAR ? [30, 40, 140] : [90, 80, 90];
        rgb[i * 3] = Math.max(0, Math.min(255, c[0] + t));
        rgb[i * 3 + 1] = Math.max(0, Math.min(255, c[1] + t));
        rgb[i * 3 + 2] = Math.max(0, Math.min(255, c[2] + t));
      }
    }
    await sharp(rgb, { raw: { width, height, channels: 3 } }).png().toFile(path.join(imgDir, `${name}_leftImg8bit.png`));
    await sharp(ids8, { raw: { width, height, channels: 1 } }).toColourspace('b-w').png().toFile(path.join(lblDir, `${name}_gtFine_labelIds.png`));
    ids.push(`${city}/${name}_leftImg8bit.png`);
  }
  return ids;
}

/** A contract request from Node (no Origin header: judged by the token alone); throws with the contract error. */
export async function callApi(server, name, body) {
  const res = await fetch(`${server.origin}/api/${name}`, { method: 'POST', headers: { 'x-proda-token': server.token }, body: JSON.stringify(body) });
  const r = await res.json();
  if (!r.ok) throw new Error(`${name}: ${JSON.stringify(r.error)}`);
  return r.value;
}

/** Nearest-rank percentile (p in 0..100) of a sample; undefined when it is empty. */
export function percentile(samples, p) {
  if (samples.length === 0) return undefined;
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

/**
 * Calls each probe in turn, `gapMs` apart, until `busy()` is false, and times every call. A sample counts
 * as taken during the work only when the work was still in flight when the call returned (the call began
 * after the work did, since probing starts after it). A call that fails counts as infinitely slow (a
 * keep-alive connection the server dropped after a long block of its event loop shows up so) and its
 * error is kept. Resolves to { samples: { [probe name]: ms[] }, errors: string[] }.
 */
export async function probeWhile(busy, probes, { gapMs = 50 } = {}) {
  const names = Object.keys(probes);
  const samples = Object.fromEntries(names.map((k) => [k, []]));
  const errors = [];
  for (let i = 0; busy(); i++) {
    const name = names[i % names.length];
    const t = performance.now();
    let ms;
    try {
      await probes[name](i);
      ms = performance.now() - t;
    } catch (err) {
      ms = Infinity;
      errors.push(`${name}: ${err.message}${err.cause ? ` (${err.cause.code ?? err.cause.message})` : ''}`);
    }
    if (busy()) samples[name].push(ms);
    await new Promise((r) => setTimeout(r, gapMs));
  }
  return { samples, errors };
}
