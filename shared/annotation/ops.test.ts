import { describe, expect, it } from 'vitest';
import { applyDiff, diffIndices, diffPixelCount } from './diff';
import { computeEdit, editOpSchema, type EditOp } from './ops';
import { IGNORE, createLayers, type EditLayers } from './raster';

// Rasters written as rows of digits; '.' is the ignore label.
function parse(rows: string[]): { width: number; height: number; data: Uint8Array } {
  const height = rows.length;
  const width = rows[0].length;
  const data = new Uint8Array(width * height);
  rows.forEach((row, y) => [...row].forEach((c, x) => (data[y * width + x] = c === '.' ? IGNORE : Number(c))));
  return { width, height, data };
}
const show = (l: EditLayers, buf: Uint8Array = l.labels): string[] =>
  Array.from({ length: l.height }, (_, y) =>
    [...buf.subarray(y * l.width, (y + 1) * l.width)].map((v) => (v === IGNORE ? '.' : String(v))).join(''),
  );
function run(rows: string[], op: EditOp, layers = createLayers(parse(rows))): EditLayers {
  applyDiff(layers, computeEdit(layers, editOpSchema.parse(op)), 'forward');
  return layers;
}

describe('brush', () => {
  it('size 1 at a pixel centre paints exactly that pixel', () => {
    const l = run(['0000', '0000', '0000'], { tool: 'brush', points: [[2.5, 1.5]], size: 1, classId: 7 });
    expect(show(l)).toEqual(['0000', '0070', '0000']);
    expect(show(l, l.touched)).toEqual(['0000', '0010', '0000']);
  });

  it('size 3 stamps a round disc (pixel centres within radius 1.5)', () => {
    const l = run(['00000', '00000', '00000', '00000', '00000'], { tool: 'brush', points: [[2.5, 2.5]], size: 3, classId: 1 });
    // corners are at distance √2 ≈ 1.41 ≤ 1.5, the pixels two away at 2 > 1.5
    expect(show(l)).toEqual(['00000', '01110', '01110', '01110', '00000']);
  });

  it('size 4 leaves the corners of the 4×4 box out', () => {
    const l = run(['000000', '000000', '000000', '000000', '000000', '000000'], { tool: 'brush', points: [[3, 3]], size: 4, classId: 2 });
    expect(show(l)).toEqual(['000000', '002200', '022220', '022220', '002200', '000000']);
  });

  it('a stroke covers the capsule between its points and clips at the border', () => {
    const l = run(['00000000', '00000000', '00000000'], { tool: 'brush', points: [[-3, 1.5], [5.5, 1.5]], size: 1, classId: 3 });
    expect(show(l)).toEqual(['00000000', '33333300', '00000000']);
  });

  it('painting the same class still marks the pixels touched (a confirmation is supervision too)', () => {
    const l = run(['11', '11'], { tool: 'brush', points: [[0.5, 0.5]], size: 1, classId: 1 });
    expect(show(l)).toEqual(['11', '11']);
    expect(show(l, l.touched)).toEqual(['10', '00']);
  });
});

describe('eraser', () => {
  it('restores the starting layer and clears touched', () => {
    const layers = createLayers(parse(['1234', '1234']));
    run([], { tool: 'brush', points: [[0, 1], [4, 1]], size: 2, classId: 9 }, layers);
    expect(show(layers)).toEqual(['9999', '9999']);
    run([], { tool: 'eraser', points: [[1.5, 0.5], [2.5, 0.5]], size: 1 }, layers);
    expect(show(layers)).toEqual(['9239', '9999']);
    expect(show(layers, layers.touched)).toEqual(['1001', '1111']);
  });
});

describe('ignore brush', () => {
  it('sets the ignore label and marks touched', () => {
    const l = run(['555', '555'], { tool: 'ignore', points: [[1.5, 0.5]], size: 1 });
    expect(show(l)).toEqual(['5.5', '555']);
    expect(show(l, l.touched)).toEqual(['010', '000']);
  });
});

describe('replace inside a stroke', () => {
  it('changes only class `from`, only under the stroke', () => {
    const l = run(['12121', '12121', '12121'], { tool: 'replace', points: [[0, 1.5], [3.9, 1.5]], size: 1, from: 1, to: 3 });
    expect(show(l)).toEqual(['12121', '32321', '12121']);
    expect(show(l, l.touched)).toEqual(['00000', '10100', '00000']);
  });
});

describe('flood fill', () => {
  it('fills the 4-connected region of the seed label only', () => {
    const rows = ['00100', '01100', '10011', '00010'];
    const l = run(rows, { tool: 'fill', x: 0.2, y: 0.7, classId: 4 });
    // (0,2) is diagonal to the seed region: not 4-connected
    expect(show(l)).toEqual(['44100', '41100', '10011', '00010']);
    const r = run(rows, { tool: 'fill', x: 4, y: 0, classId: 4 });
    expect(show(r)).toEqual(['00144', '01144', '10011', '00010']);
    expect(show(r, r.touched)).toEqual(['00011', '00011', '00000', '00000']);
  });

  it('fills ignore regions and does nothing for a seed outside the raster', () => {
    // (1,1) reaches (1,0) and (0,0) through 4-neighbours; the 1s stay
    expect(show(run(['..1', '1..'], { tool: 'fill', x: 1, y: 1, classId: 2 }))).toEqual(['221', '122']);
    expect(show(run(['.1.', '1..'], { tool: 'fill', x: 0, y: 0, classId: 2 }))).toEqual(['21.', '1..']);
    const l = createLayers(parse(['00']));
    expect(diffPixelCount(computeEdit(l, { tool: 'fill', x: 5, y: 0, classId: 1 }))).toBe(0);
  });
});

describe('polygon fill', () => {
  const blank = ['000000', '000000', '000000', '000000', '000000', '000000'];
  it('fills pixels whose centre is inside (right triangle)', () => {
    const l = run(blank, { tool: 'polygon', vertices: [[0, 0], [6, 0], [0, 6]], rule: 'evenodd', classId: 1 });
    expect(show(l)).toEqual(['111110', '111100', '111000', '110000', '100000', '000000']);
  });

  it('even-odd leaves a self-overlap open, nonzero fills it', () => {
    // The outer square twice in the same direction: winding 2 inside. Even-odd sees 2 crossings → empty.
    const twice: [number, number][] = [[1, 1], [5, 1], [5, 5], [1, 5], [1, 1], [5, 1], [5, 5], [1, 5]];
    expect(show(run(blank, { tool: 'polygon', vertices: twice, rule: 'evenodd', classId: 2 }))).toEqual(blank);
    expect(show(run(blank, { tool: 'polygon', vertices: twice, rule: 'nonzero', classId: 2 }))).toEqual([
      '000000', '022220', '022220', '022220', '022220', '000000',
    ]);
  });

  it('a pentagram: even-odd leaves the centre, nonzero fills it', () => {
    const star: [number, number][] = [];
    for (let k = 0; k < 5; k++) {
      const a = -Math.PI / 2 + (k * 4 * Math.PI) / 5;
      star.push([10 + 10 * Math.cos(a), 10 + 10 * Math.sin(a)]);
    }
    const rows = Array.from({ length: 20 }, () => '0'.repeat(20));
    const eo = run(rows, { tool: 'polygon', vertices: star, rule: 'evenodd', classId: 1 });
    const nz = run(rows, { tool: 'polygon', vertices: star, rule: 'nonzero', classId: 1 });
    const centre = 10 * 20 + 10;
    expect(eo.labels[centre]).toBe(0);
    expect(nz.labels[centre]).toBe(1);
    // a tip is filled under both rules
    expect(eo.labels[2 * 20 + 10]).toBe(1);
    expect(nz.labels[2 * 20 + 10]).toBe(1);
  });

  it('clips to the raster', () => {
    const l = run(['000', '000'], { tool: 'polygon', vertices: [[-5, -5], [1.9, -5], [1.9, 9], [-5, 9]], rule: 'nonzero', classId: 1 });
    expect(show(l)).toEqual(['110', '110']);
  });
});

describe('diffs', () => {
  it('hold only the changed pixels, as runs', () => {
    const l = createLayers(parse(['0000', '0110', '0000']));
    const d = computeEdit(l, { tool: 'brush', points: [[0, 1.5], [4, 1.5]], size: 1, classId: 1 });
    // (1,1) and (2,1) are already 1 but become touched: they are part of the diff; nothing else changes
    expect([...diffIndices(d)]).toEqual([4, 5, 6, 7]);
    expect([...d.runs]).toEqual([4, 4]);
    expect([...d.before]).toEqual([0, 1, 1, 0]);
    expect([...d.after]).toEqual([1, 1, 1, 1]);
  });

  it('rejects malformed ops with the offending field', () => {
    const r = editOpSchema.safeParse({ tool: 'brush', points: [[0, 0]], size: -1, classId: 3 });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0].path).toEqual(['size']);
    expect(editOpSchema.safeParse({ tool: 'fill', x: 0, y: 0, classId: 251 }).success).toBe(false);
  });
});
