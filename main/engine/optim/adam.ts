import * as tf from '@tensorflow/tfjs';
import type { NamedArrays, NamedVariables } from './params';
import { trainableEntries } from './params';
import { exportVariables, importVariables, zerosVariable } from './state';

export interface AdamOptions {
  beta1: number;
  beta2: number;
  epsilon: number;
}

/** The warm-up discriminator's optimiser: torch.optim.Adam(lr, betas=(0.9, 0.99)), eps 1e-8, no weight decay. */
export const ADAM_D_DEFAULTS: AdamOptions = { beta1: 0.9, beta2: 0.99, epsilon: 1e-8 };

/**
 * Adam with torch's update form: m ← β1 m + (1−β1) g; v ← β2 v + (1−β2) g²;
 * θ ← θ − (lr / (1−β1ᵗ)) · m / (√v / √(1−β2ᵗ) + ε). (tf.train.adam folds ε differently, hence this class.)
 */
export class Adam {
  readonly options: AdamOptions;
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();
  private steps = 0;

  constructor(options: Partial<AdamOptions> = {}) {
    this.options = { ...ADAM_D_DEFAULTS, ...options };
  }

  get iterations(): number {
    return this.steps;
  }

  step(params: NamedVariables, grads: Readonly<Record<string, tf.Tensor>>, lrFor: (name: string) => number): void {
    const { beta1, beta2, epsilon } = this.options;
    const t = this.steps + 1;
    const bc1 = 1 - Math.pow(beta1, t);
    const bc2 = 1 - Math.pow(beta2, t);
    for (const [name, p] of trainableEntries(params)) {
      const g = grads[name];
      if (g === undefined) continue;
      if (!this.m.has(name)) {
        this.m.set(name, zerosVariable(p.shape));
        this.v.set(name, zerosVariable(p.shape));
      }
      const m = this.m.get(name)!;
      const v = this.v.get(name)!;
      const stepSize = lrFor(name) / bc1;
      tf.tidy(() => {
        const nm = tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1));
        const nv = tf.add(tf.mul(v, beta2), tf.mul(tf.mul(g, g), 1 - beta2));
        m.assign(nm);
        v.assign(nv);
        const denom = tf.add(tf.div(tf.sqrt(nv), Math.sqrt(bc2)), epsilon);
        p.assign(tf.sub(p, tf.mul(tf.div(nm, denom), stepSize)));
      });
    }
    this.steps = t;
  }

  async exportState(): Promise<NamedArrays> {
    return {
      ...(await exportVariables(this.m, 'exp_avg.', { iterations: this.steps })),
      ...(await exportVariables(this.v, 'exp_avg_sq.', { iterations: this.steps })),
    };
  }

  importState(state: NamedArrays): void {
    this.steps = importVariables(this.m, 'exp_avg.', state);
    importVariables(this.v, 'exp_avg_sq.', state);
  }

  dispose(): void {
    for (const x of [...this.m.values(), ...this.v.values()]) x.dispose();
    this.m.clear();
    this.v.clear();
  }
}
