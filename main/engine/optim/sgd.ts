import * as tf from '@tensorflow/tfjs';
import type { NamedArrays, NamedVariables } from './params';
import { trainableEntries } from './params';
import { exportVariables, importVariables, zerosVariable } from './state';

export interface SgdOptions {
  momentum: number;
  weightDecay: number;
}

export const SGD_DEFAULTS: SgdOptions = { momentum: 0.9, weightDecay: 2e-4 };

/**
 * SGD with momentum and L2 weight decay, with torch.optim.SGD's update order (dampening 0, no Nesterov):
 *   d = g + wd·θ;  buf = μ·buf + d  (buf starts as d);  θ ← θ − lr·buf.
 * Only parameters that received a gradient are touched (torch skips params whose grad is None, so
 * frozen parameters are neither decayed nor moved).
 */
export class Sgd {
  readonly options: SgdOptions;
  private readonly buffers = new Map<string, tf.Variable>();
  private steps = 0;

  constructor(options: Partial<SgdOptions> = {}) {
    this.options = { ...SGD_DEFAULTS, ...options };
  }

  get iterations(): number {
    return this.steps;
  }

  /**
   * @param params name → variable map of the network
   * @param grads gradients keyed by parameter name (not by tf variable name)
   * @param lrFor learning rate for a parameter name (group scale × scheduled base)
   */
  step(params: NamedVariables, grads: Readonly<Record<string, tf.Tensor>>, lrFor: (name: string) => number): void {
    const { momentum, weightDecay } = this.options;
    for (const [name, p] of trainableEntries(params)) {
      const g = grads[name];
      if (g === undefined) continue;
      const lr = lrFor(name);
      const first = !this.buffers.has(name);
      if (first) this.buffers.set(name, zerosVariable(p.shape));
      const buf = this.buffers.get(name)!;
      tf.tidy(() => {
        const d = weightDecay !== 0 ? tf.add(g, tf.mul(p, weightDecay)) : g;
        const nb = first ? d : tf.add(tf.mul(buf, momentum), d);
        buf.assign(nb);
        p.assign(tf.sub(p, tf.mul(nb, lr)));
      });
    }
    this.steps += 1;
  }

  exportState(): Promise<NamedArrays> {
    return exportVariables(this.buffers, 'momentum_buffer.', { iterations: this.steps });
  }

  importState(state: NamedArrays): void {
    this.steps = importVariables(this.buffers, 'momentum_buffer.', state);
  }

  dispose(): void {
    for (const b of this.buffers.values()) b.dispose();
    this.buffers.clear();
  }
}
