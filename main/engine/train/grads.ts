import * as tf from '@tensorflow/tfjs';
import type { GraphNet, SegNet } from '../nets';
import { resizeBilinearAligned } from '../ops'; // also installs tfjs 4.22 gradient fixes (comparison ops, cpu ResizeBilinearGrad)
import { crossEntropy } from '../proda/losses';
import { takeNumbers } from '../read';
import { stepLr, type StepOptions } from './step-options';

/** Gradients keyed by PyTorch parameter name. */
export type NamedGrads = Record<string, tf.Tensor>;

/**
 * Value and gradients of `loss` w.r.t. the net's trainable parameters (minus `frozen`), keyed by parameter name.
 * The returned tensors are owned by the caller (dispose with `disposeGrads`).
 */
export function lossAndGrads(net: GraphNet, loss: () => tf.Scalar, frozen?: ReadonlySet<string>): { value: tf.Scalar; grads: NamedGrads } {
  const byVar = new Map<string, string>();
  const vars: tf.Variable[] = [];
  for (const [name, v] of net.params) {
    if (!v.trainable || frozen?.has(name)) continue;
    byVar.set(v.name, name);
    vars.push(v);
  }
  const { value, grads } = tf.variableGrads(loss, vars);
  const out: NamedGrads = {};
  for (const [vname, g] of Object.entries(grads)) out[byVar.get(vname) as string] = g;
  return { value, grads: out };
}

/** a + b per name (either may lack a name); consumes both. */
export function addGrads(a: NamedGrads, b: NamedGrads): NamedGrads {
  const out: NamedGrads = { ...a };
  for (const [k, g] of Object.entries(b)) {
    const prev = out[k];
    if (prev === undefined) out[k] = g;
    else {
      out[k] = tf.add(prev, g);
      prev.dispose();
      g.dispose();
    }
  }
  return out;
}

export function disposeGrads(g: NamedGrads): void {
  for (const t of Object.values(g)) t.dispose();
}

/** BN affine parameter names of a net (`--freeze_bn` freezes them; BN then runs in eval mode). */
export function batchNormAffineNames(net: GraphNet): Set<string> {
  const out = new Set<string>();
  for (const n of net.graph.nodes) {
    if (n.op === 'batchnorm') {
      out.add(`${n.param}.weight`);
      out.add(`${n.param}.bias`);
    }
  }
  return out;
}

/** Deterministic per-forward dropout seed from the run seed, the iteration and the forward's slot. */
export function dropoutSeed(seed: number, iteration: number, slot: number): number {
  return (Math.imul(seed | 0, 0x9e3779b1) ^ Math.imul(iteration + 1, 0x85ebca6b) ^ Math.imul(slot + 1, 0xc2b2ae35)) >>> 1;
}

/** Train-mode forward options of one forward `slot` of an iteration (its own dropout mask). */
export function trainForward(o: { seed: number; iteration: number; dropout: boolean }, slot: number) {
  return { training: true, dropout: o.dropout, dropoutSeed: dropoutSeed(o.seed, o.iteration, slot) };
}

/**
 * Source cross-entropy on logits upsampled to the label size, with its own backward as in the reference (which
 * frees the source graph before the target losses).
 */
export function sourceCeGrads(student: SegNet, source: tf.Tensor4D, labels: tf.Tensor3D, forward: ReturnType<typeof trainForward>) {
  return lossAndGrads(student, () => {
    const [, H, W] = labels.shape;
    return crossEntropy(resizeBilinearAligned(student.apply(source, forward).logits, [H, W]), labels);
  });
}

/** One iteration in one process: the gradient half, then the update, with the gradients freed even if it throws. */
export async function localStep<L>(gradients: Promise<{ grads: NamedGrads; losses: L }>, apply: (grads: NamedGrads) => void): Promise<L> {
  const g = await gradients;
  try {
    apply(g.grads);
  } finally {
    disposeGrads(g.grads);
  }
  return g.losses;
}

/** What a stage that adds one target loss to the source CE reports (distillation, self-training). */
export interface SourceTargetLosses {
  total: number;
  sourceCe: number;
  /** the target CE: the target loss's part named 'ce' where it has parts, else the whole target loss */
  targetCe: number;
  lr: number;
  /** fraction of target label pixels that are not ignored */
  labelledFraction: number;
}

/**
 * The gradient half of the stages that add one target loss to the source CE (distillation, self-training). In order:
 * `prepare` builds the target side without gradient (pseudo-labels, teacher maps, the labelled fraction) in a tidy
 * scope; the source CE with its own backward; `targetLoss` on the student, whose named `parts` are read out with it.
 * The prepared tensors are freed here; the summed gradients are the caller's.
 */
export async function sourceAndTargetGradients<P extends Record<string, tf.Tensor | undefined>>(
  student: SegNet,
  batch: { source: tf.Tensor4D; sourceLabels: tf.Tensor3D },
  o: StepOptions,
  prepare: () => P & { labelled: tf.Scalar },
  targetLoss: (prepared: P, forward: ReturnType<typeof trainForward>, part: (name: string, t: tf.Scalar) => void) => tf.Scalar,
): Promise<{ grads: NamedGrads; losses: SourceTargetLosses; parts: Record<string, number> }> {
  const prep = tf.tidy(prepare);
  const src = sourceCeGrads(student, batch.source, batch.sourceLabels, trainForward(o, 0));
  const kept: [string, tf.Scalar][] = [];
  const tgt = lossAndGrads(student, () => targetLoss(prep, trainForward(o, 1), (name, t) => kept.push([name, tf.keep(t.clone())])));
  const grads = addGrads(src.grads, tgt.grads);
  tf.dispose(Object.entries(prep).flatMap(([k, t]) => (k !== 'labelled' && t ? [t] : [])));
  const [sourceCe, target, labelledFraction, ...values] = await takeNumbers([src.value, tgt.value, prep.labelled, ...kept.map(([, t]) => t)]);
  const parts = Object.fromEntries(kept.map(([name], i) => [name, values[i]]));
  return { grads, losses: { total: sourceCe + target, sourceCe, targetCe: parts.ce ?? target, lr: stepLr(o), labelledFraction }, parts };
}
