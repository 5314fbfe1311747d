import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend';
import { TEST_BACKENDS } from '../ops/test-utils';
import { readData } from '../read';
import { closeViolation, fixture, gradViolation, mismatches, scalarFixture } from '../../../fixtures/parity/proda_fixtures';
import { prototypeDistances } from './distance';
import { distillationKl, mrent, mrkld, regularLoss, structureKl, structureKlMask, symmetricCrossEntropy } from './losses';
import { accumulatePrototypeMean, classCentroids, clonePrototypes, createPrototypes, emaUpdatePrototypes, nearestLabelResize, sourceClassCentroids } from './prototypes';
import { prototypeWeights, rectifiedConfidence, rectifiedLabels } from './rectify';

const load = (c: string, a: string): tf.Tensor => {
  const f = fixture(c, a);
  return tf.tensor(f.data, f.shape, f.data instanceof Int32Array ? 'int32' : 'float32');
};
const t4 = (c: string, a: string): tf.Tensor4D => load(c, a) as tf.Tensor4D;
const t3i = (c: string, a: string): tf.Tensor3D => load(c, a) as tf.Tensor3D;
const t2 = (c: string, a: string): tf.Tensor2D => load(c, a) as tf.Tensor2D;

/** Runs an async test body in one tensor scope (tf.tidy cannot wait for reads). */
async function scoped(f: () => Promise<void>): Promise<void> {
  tf.engine().startScope();
  try {
    await f();
  } finally {
    tf.engine().endScope();
  }
}
const d = (t: tf.Tensor) => readData(t);

describe.each(TEST_BACKENDS)('ProDA components vs the PyTorch reference on %s', (backend) => {
  beforeAll(async () => {
    await initBackend(backend);
  });

  it('prototype distances, denoising weights and rectified labels', async () => {
    await scoped(async () => {
      const feat = t4('rectify', 'feat');
      const protos = t2('rectify', 'protos');
      const dist = prototypeDistances(feat, protos);
      expect(closeViolation(await d(dist), fixture('rectify', 'dist').data)).toBe(0);
      const w = prototypeWeights(dist, 1);
      expect(closeViolation(await d(w), fixture('rectify', 'weights').data)).toBe(0);
      const lp = t4('rectify', 'lpsoft');
      expect(mismatches(await d(rectifiedLabels(w, lp)), fixture('rectify', 'labels').data)).toBe(0);
      const thr = await d(rectifiedLabels(w, lp, 0.5));
      expect(mismatches(thr, fixture('rectify', 'labels_thr').data)).toBe(0);
      expect([...thr].some((v) => v === 250)).toBe(true);
      expect(closeViolation(await d(rectifiedConfidence(w, lp)), fixture('rectify', 'conf').data)).toBe(0);
    });
  });

  it('SCE and MRKLD: values and gradients', async () => {
    await scoped(async () => {
      const logits = t4('losses', 'logits');
      const labels = t3i('losses', 'labels');
      const terms = symmetricCrossEntropy(logits, labels, 0.1, 1);
      expect(closeViolation([(await d(terms.ce))[0]], [scalarFixture('losses', 'ce')])).toBe(0);
      expect(closeViolation([(await d(terms.rce))[0]], [scalarFixture('losses', 'rce')])).toBe(0);
      expect(closeViolation([(await d(terms.loss))[0]], [scalarFixture('losses', 'sce')])).toBe(0);
      const gSce = tf.grad((x: tf.Tensor) => symmetricCrossEntropy(x as tf.Tensor4D, labels).loss)(logits);
      expect(gradViolation(await d(gSce), fixture('losses', 'grad_sce').data)).toBe(0);
      expect(closeViolation([(await d(mrkld(logits)))[0]], [scalarFixture('losses', 'mrkld')])).toBe(0);
      const gReg = tf.grad((x: tf.Tensor) => mrkld(x as tf.Tensor4D))(logits);
      expect(gradViolation(await d(gReg), fixture('losses', 'grad_mrkld').data)).toBe(0);
    });
  });

  it('distillation KL, intended and reference-bug variants', async () => {
    await scoped(async () => {
      const s = t4('kd', 'student');
      const t = t4('kd', 'teacher');
      for (const [variant, key] of [
        ['log_softmax', 'fixed'],
        ['softmax-reference-bug', 'bug'],
      ] as const) {
        expect(closeViolation([(await d(distillationKl(s, t, variant)))[0]], [scalarFixture('kd', `kd_${key}`)])).toBe(0);
        const g = tf.grad((x: tf.Tensor) => distillationKl(x as tf.Tensor4D, t, variant))(s);
        expect(gradViolation(await d(g), fixture('kd', `grad_${key}`).data)).toBe(0);
      }
    });
  });

  it('structure-learning KL with a shear and a cutout in the strong view', async () => {
    await scoped(async () => {
      const protos = t2('structure_kl', 'protos');
      const teacher = t4('structure_kl', 'teacher_dist');
      const sf = t4('structure_kl', 'student_feat');
      const loss = (f: tf.Tensor): tf.Scalar => structureKl(teacher, prototypeDistances(f as tf.Tensor4D, protos), 1);
      expect(closeViolation([(await d(loss(sf)))[0]], [scalarFixture('structure_kl', 'loss')])).toBe(0);
      const g = tf.grad(loss)(sf);
      expect(gradViolation(await d(g), fixture('structure_kl', 'grad_feat').data)).toBe(0);
      const mask = await d(structureKlMask(teacher));
      expect(mismatches(mask, fixture('structure_kl', 'mask').data)).toBe(0);
      expect([...mask].some((v) => v === 0)).toBe(true);
    });
  });

  it('structure KL over an all-masked view is 0 with zero gradient (torch: NaN)', async () => {
    await scoped(async () => {
      const teacher = tf.fill([1, 2, 3, 4], 250) as tf.Tensor4D;
      const sd = tf.randomUniform([1, 2, 3, 4], 0, 5, 'float32', 3) as tf.Tensor4D;
      expect((await d(structureKl(teacher, sd)))[0]).toBe(0);
      const g = tf.grad((x: tf.Tensor) => structureKl(teacher, x as tf.Tensor4D))(sd);
      expect([...(await d(g))].every((v) => v === 0)).toBe(true);
    });
  });

  it('MRENT (regular_type MRENT): value and gradient; regularLoss picks MRENT or MRKLD', async () => {
    await scoped(async () => {
      const logits = t4('mrent', 'logits');
      expect(closeViolation([(await d(mrent(logits)))[0]], [scalarFixture('mrent', 'mrent')])).toBe(0);
      const g = tf.grad((x: tf.Tensor) => mrent(x as tf.Tensor4D))(logits);
      expect(gradViolation(await d(g), fixture('mrent', 'grad').data)).toBe(0);
      expect((await d(regularLoss(logits, 'MRENT')))[0]).toBe((await d(mrent(logits)))[0]);
      expect((await d(regularLoss(logits, 'MRKLD')))[0]).toBe((await d(mrkld(logits)))[0]);
    });
  });

  it('prototype initialisation (2 passes, ≥10 pixels) and EMA updates', async () => {
    const batches = [0, 1, 2].map((b) => [t4('proto_init', `feat${b}`), t4('proto_init', `logits${b}`)] as const);
    const [, , D] = [0, 0, batches[0][0].shape[3]];
    const C = batches[0][1].shape[3];
    const p = createPrototypes(C, D);
    for (let pass = 0; pass < 2; pass++) for (const [f, l] of batches) accumulatePrototypeMean(p, await classCentroids(f, l, 10));
    expect(closeViolation(p.vectors, fixture('proto_init', 'vectors').data)).toBe(0);
    expect([...p.counts]).toEqual([...fixture('proto_init', 'counts').data]);
    for (const m of [1e-4, 0.3]) {
      const q = clonePrototypes(p);
      for (const [f, l] of batches) emaUpdatePrototypes(q, await classCentroids(f, l, 10), m);
      expect(closeViolation(q.vectors, fixture(`proto_ema_${m}`, 'vectors').data)).toBe(0);
    }
    for (const [f, l] of batches) {
      f.dispose();
      l.dispose();
    }
  });

  it('prototype initialisation from source images: (GT = k) ∧ (pred = k), GT nearest-downsampled (calc_prototype --source)', async () => {
    const gt = (b: number) => fixture('source_proto', `gt${b}`);
    const g0 = gt(0);
    const [N, Hl, Wl] = g0.shape;
    const feat0 = t4('source_proto', 'feat0');
    const [, h, w, D] = feat0.shape;
    feat0.dispose();
    const small = new Int32Array(N * h * w);
    for (let n = 0; n < N; n++) small.set(nearestLabelResize(g0.data.subarray(n * Hl * Wl, (n + 1) * Hl * Wl), Hl, Wl, h, w), n * h * w);
    expect(mismatches(small, fixture('source_proto', 'gt_small0').data)).toBe(0);
    const batches = [0, 1].map((b) => {
      const g = gt(b);
      const maps = Array.from({ length: N }, (_, n) => ({ width: Wl, height: Hl, data: g.data.subarray(n * Hl * Wl, (n + 1) * Hl * Wl) }));
      return [t4('source_proto', `feat${b}`), t4('source_proto', `logits${b}`), maps] as const;
    });
    const C = batches[0][1].shape[3];
    const p = createPrototypes(C, D);
    for (let pass = 0; pass < 2; pass++) for (const [f, l, m] of batches) accumulatePrototypeMean(p, await sourceClassCentroids(f, l, m, 10));
    expect(closeViolation(p.vectors, fixture('source_proto', 'vectors').data)).toBe(0);
    expect([...p.counts]).toEqual([...fixture('source_proto', 'counts').data]);
    // the target rule (prediction only) gives other prototypes on the same images
    const q = createPrototypes(C, D);
    for (const [f, l] of batches) accumulatePrototypeMean(q, await classCentroids(f, l, 10));
    expect(closeViolation(q.vectors, fixture('source_proto', 'vectors').data)).toBeGreaterThan(0);
    for (const [f, l] of batches) tf.dispose([f, l]);
  });
});
