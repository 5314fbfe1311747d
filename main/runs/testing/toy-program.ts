// A test double for the engine: a tiny linear regression trained by SGD with momentum, with the same
// contract as a real stage program (seeded per-iteration data, full state in checkpoints). It lets the
// supervision tests kill, cancel and resume processes in seconds, independent of tfjs.
import { forStage, type StageContext, type StageProgram, type StageRegistry } from '../program';
import { rngAt } from '../data-order';
import type { ConfigOf } from '../../../shared/runs-config';

const DIM = 16;

export function toyProgram(ctx: StageContext<ConfigOf<'warmup'>>): StageProgram {
  const config = ctx.config;
  const iterations = config.optim.iterations;
  const delayMs = Number(process.env.TOY_STEP_MS ?? '10');
  let w = new Float32Array(DIM);
  let v = new Float32Array(DIM);
  const truth = Float32Array.from({ length: DIM }, (_, i) => Math.sin(i + 1));
  return {
    iterations,
    async snapshot() {
      // TOY_CHECKPOINT_PAD (floats) makes checkpoints as large as a real network's, for full-disk tests.
      const pad = Number(process.env.TOY_CHECKPOINT_PAD ?? '0');
      const tensors = { 'student.w': { shape: [DIM], data: w.slice() }, 'optim.momentum': { shape: [DIM], data: v.slice() } };
      return { tensors: pad > 0 ? { ...tensors, 'student.pad': { shape: [pad], data: new Float32Array(pad).fill(0.5) } } : tensors, state: {} };
    },
    async restore(ckpt) {
      w = Float32Array.from(ckpt.tensors['student.w'].data);
      v = Float32Array.from(ckpt.tensors['optim.momentum'].data);
    },
    async step(it) {
      const r = rngAt(config.seed, it);
      const x = Float32Array.from({ length: DIM }, () => r() * 2 - 1);
      let pred = 0;
      let y = 0;
      for (let i = 0; i < DIM; i++) {
        pred += w[i] * x[i];
        y += truth[i] * x[i];
      }
      const err = pred - y;
      const lr = config.optim.lr * (1 - it / config.optim.polyHorizon) ** config.optim.power;
      for (let i = 0; i < DIM; i++) {
        v[i] = config.optim.momentum * v[i] + err * x[i];
        w[i] -= lr * v[i];
      }
      if (delayMs > 0) await new Promise((res) => setTimeout(res, delayMs));
      return { losses: { mse: err * err }, lr };
    },
    async finish() {
      ctx.log(`toy weights ${Array.from(w.slice(0, 3)).join(',')}`);
      return { final: null, artifacts: [] };
    },
    dispose() {},
  };
}

/** A one-shot stage that scores 100 'images' and stops early when cancelled (returning partial results). */
export function toyEval(ctx: StageContext): StageProgram {
  return {
    iterations: 0,
    snapshot: async () => ({ tensors: {}, state: {} }),
    restore: async () => {},
    step: async () => {
      throw new Error('one-shot');
    },
    async finish() {
      let done = 0;
      for (; done < 100 && !ctx.cancelled(); done++) {
        await new Promise((res) => setTimeout(res, 10));
        ctx.reportItems(done + 1, 100);
      }
      const final = { miou: done / 100, perClass: [done / 100], classNames: ['x'], bn: 'running' as const, images: done };
      return { final, artifacts: [] };
    },
    dispose() {},
  };
}

export const toyRegistry: StageRegistry = {
  setup: async () => ({ name: 'toy' }),
  factories: { warmup: forStage('warmup', async (ctx) => toyProgram(ctx)), eval: async (ctx) => toyEval(ctx) },
};
