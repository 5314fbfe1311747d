import * as tf from '@tensorflow/tfjs';
import type { NamedVariables } from './params';
import { variableEntries } from './params';

/**
 * Mean-teacher update of the EMA ("momentum") net: θ̃ ← α·θ̃ + (1−α)·θ for trainable parameters;
 * buffers (non-trainable: BN running statistics) are copied from the student, as the reference does.
 * Both maps must hold the same names and shapes.
 */
export function emaUpdate(ema: NamedVariables, student: NamedVariables, decay: number): void {
  const src = new Map(variableEntries(student));
  for (const [name, e] of variableEntries(ema)) {
    const s = src.get(name);
    if (s === undefined) throw new Error(`emaUpdate: student has no parameter '${name}'`);
    if (s.shape.join(',') !== e.shape.join(',')) {
      throw new Error(`emaUpdate: '${name}' shape [${e.shape}] vs student [${s.shape}]`);
    }
    if (e.trainable) tf.tidy(() => e.assign(tf.add(tf.mul(e, decay), tf.mul(s, 1 - decay))));
    else e.assign(s);
  }
}

/** Copies every variable (parameters and buffers) from `src` into `dst` (EMA initialisation). */
export function copyVariables(dst: NamedVariables, src: NamedVariables): void {
  const from = new Map(variableEntries(src));
  for (const [name, d] of variableEntries(dst)) {
    const s = from.get(name);
    if (s === undefined) throw new Error(`copyVariables: source has no '${name}'`);
    d.assign(s);
  }
}
