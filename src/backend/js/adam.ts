import type { AdamStep, FloatArray } from '../backend.js';

/**
 * One Adam/AdamW update in place (see Backend.adamUpdate): PyTorch 1.13's single-tensor path, computed
 * in double precision and stored in the parameter's precision element by element.
 */
export function adamUpdate(step: AdamStep, p: FloatArray, g: FloatArray, m: FloatArray, v: FloatArray, vMax: FloatArray | null): void {
  const { beta1, beta2, eps, weightDecay, decoupled, stepSize, biasCorrection2Sqrt } = step;
  const decay = 1 - step.lr * weightDecay;
  const n = p.length;
  for (let i = 0; i < n; i++) {
    if (decoupled) p[i] = p[i]! * decay;
    const gi = decoupled || weightDecay === 0 ? g[i]! : g[i]! + weightDecay * p[i]!;
    m[i] = m[i]! * beta1 + (1 - beta1) * gi;
    v[i] = v[i]! * beta2 + (1 - beta2) * gi * gi;
    let second = v[i]!;
    if (vMax !== null) second = vMax[i] = Math.max(vMax[i]!, second);
    // eps is added after the bias-corrected square root, as in PyTorch.
    const denom = Math.sqrt(second) / biasCorrection2Sqrt + eps;
    p[i] = p[i]! + (-stepSize * m[i]!) / denom;
  }
}
