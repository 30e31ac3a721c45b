import { isFloat } from './dtype.js';
import { formatShape, sizeOf } from './shape.js';
import type { Tensor } from './tensor.js';

/** Above this many elements only the first and last few of each dimension are shown. */
const SUMMARIZE_ABOVE = 1000;
const EDGE_ITEMS = 3;

/**
 * Renders a tensor the way PyTorch does: nested brackets, aligned values, `...` in the middle of large
 * dimensions, then shape and dtype.
 */
export function formatTensor(t: Tensor): string {
  const flat = t.contiguousData();
  const summarize = t.size > SUMMARIZE_ABOVE;
  const float = isFloat(t.dtype);
  // One notation for every value, as PyTorch does: scientific when the magnitudes call for it. A loop, not
  // Math.max(...values): spreading a large tensor's values overflows the call stack.
  let largest = 0;
  let smallest = Infinity;
  for (let i = 0; i < flat.length; i++) {
    const m = Math.abs(flat[i]!);
    if (!Number.isFinite(m) || m === 0) continue;
    if (m > largest) largest = m;
    if (m < smallest) smallest = m;
  }
  const scientific = largest > 0 && (largest >= 1e5 || smallest < 1e-4);
  // Whole numbers print as `3.` unless too large for that to stay readable (PyTorch's 1e8 threshold).
  const allIntegral =
    float && largest < 1e8 && Array.prototype.every.call(flat, (v: number) => Number.isInteger(v) || !Number.isFinite(v));
  const formatValue = (v: number): string => {
    if (!float || !Number.isFinite(v)) return String(v);
    if (allIntegral) return `${v}.`;
    return scientific ? v.toExponential(4) : v.toFixed(4);
  };
  const cells: string[] = [];
  const collect = (dim: number, start: number): void => {
    if (dim === t.ndim) {
      cells.push(formatValue(flat[start]!));
      return;
    }
    const step = sizeOf(t.shape.slice(dim + 1));
    for (const i of visibleIndices(t.shape[dim]!, summarize)) collect(dim + 1, start + i * step);
  };
  collect(0, 0);
  const width = Math.max(0, ...cells.map((c) => c.length));
  let next = 0;
  const render = (dim: number, indent: string): string => {
    if (dim === t.ndim) return cells[next++]!.padStart(width);
    const parts: string[] = [];
    const extent = t.shape[dim]!;
    for (const i of visibleIndices(extent, summarize)) {
      if (summarize && i === extent - EDGE_ITEMS && extent > 2 * EDGE_ITEMS) parts.push('...');
      parts.push(render(dim + 1, indent + ' '));
    }
    const separator = dim === t.ndim - 1 ? ', ' : ',\n' + '\n'.repeat(Math.max(0, t.ndim - dim - 2)) + indent + ' ';
    return `[${parts.join(separator)}]`;
  };
  const body = render(0, ' '.repeat('tensor('.length));
  const grad = t.gradFn ? `, gradFn=${t.gradFn.name}` : t.requiresGrad ? ', requiresGrad=true' : '';
  return `tensor(${body}, shape=${formatShape(t.shape)}, dtype=${t.dtype}${grad})`;
}

function visibleIndices(extent: number, summarize: boolean): number[] {
  if (!summarize || extent <= 2 * EDGE_ITEMS) return Array.from({ length: extent }, (_, i) => i);
  const edges = Array.from({ length: EDGE_ITEMS }, (_, i) => i);
  return [...edges, ...edges.map((i) => extent - EDGE_ITEMS + i)];
}
