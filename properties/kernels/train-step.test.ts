/**
 * A training step of a small U-Net-shaped conv net on every backend present (the check itself:
 * properties/kernels/train-step.ts; on webgpu: properties/kernels.webgpu.test.ts).
 */
import { describe, expect } from 'vitest';
import { eachBackend } from './check.js';
import { runTrainSteps } from './train-step.js';

describe('training step of a small U-Net-shaped conv net', () => {
  eachBackend('loss finite, every variable gets a nonzero gradient, constant tensor count, loss decreases', async (backend) => {
    const { losses, counts } = await runTrainSteps(backend, 4, 6);
    console.log(`train step [${backend}]: losses ${losses.map((l) => l.toFixed(4)).join(' → ')}; tensor counts ${counts.join(', ')}`);
    // From the second step on (Adam creates its moment variables on the first), nothing grows.
    expect(new Set(counts.slice(1)).size).toBe(1);
    expect(losses[losses.length - 1]).toBeLessThan(losses[0]);
  });
});
