// Gradient registrations tfjs 4.22 lacks or gets wrong. Registered once, globally, for every backend.
import * as tf from '@tensorflow/tfjs';

// Comparisons (and the logic combining their masks) are piecewise constant: their gradient is zero
// almost everywhere. Without one, a mask computed from a differentiated tensor aborts backprop with
// "gradient function not found".
const zeroGradKernels: Record<string, readonly string[]> = {
  Greater: ['a', 'b'],
  GreaterEqual: ['a', 'b'],
  Less: ['a', 'b'],
  LessEqual: ['a', 'b'],
  Equal: ['a', 'b'],
  NotEqual: ['a', 'b'],
  LogicalAnd: ['a', 'b'],
  LogicalOr: ['a', 'b'],
  LogicalNot: ['x'],
  IsNan: ['x'],
};

let installed = false;

export function installGradientFixes(): void {
  if (installed) return;
  installed = true;
  for (const [kernelName, inputNames] of Object.entries(zeroGradKernels)) {
    if (tf.getGradient(kernelName)) continue;
    tf.registerGradient({
      kernelName,
      inputsToSave: [...inputNames],
      gradFunc: (_dy, saved) =>
        Object.fromEntries(inputNames.map((name, i) => [name, () => tf.zeros(saved[i].shape, 'float32')])),
    });
  }
  // The cpu backend's ResizeBilinearGrad lays the data out correctly but labels it
  // [batch, width, height, depth]; reshaping to the image's shape is exact (and a no-op elsewhere).
  tf.registerGradient({
    kernelName: 'ResizeBilinear',
    inputsToSave: ['images'],
    gradFunc: (dy, saved, attrs) => {
      const [images] = saved;
      return {
        images: () =>
          tf.reshape(
            tf.engine().runKernel('ResizeBilinearGrad', { dy: dy as tf.Tensor, images }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor,
            images.shape,
          ),
      };
    },
  });
}
