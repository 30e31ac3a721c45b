import { getBackend } from '../backend/registry.js';
import { AutogradError } from '../errors.js';
import { allocate, type DType } from '../tensor/dtype.js';
import { contiguousStrides, formatShape, sameShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { noGrad } from './grad-mode.js';
import type { Node } from './graph.js';

/** Options of {@link backward}. */
export interface BackwardOptions {
  /** Keep the graph so backward can run through it again (it is released by default to free memory). */
  retainGraph?: boolean;
}

/**
 * Computes the gradient of `root` with respect to every leaf tensor that requires it, accumulating into
 * their `grad` (gradients add up across calls until cleared). `gradient` is the gradient of some scalar
 * with respect to `root`; it may be omitted only when `root` has one element.
 */
export function backward(root: Tensor, gradient?: Tensor, options: BackwardOptions = {}): void {
  if (!root.requiresGrad) {
    throw new AutogradError(
      'backward: this tensor does not require gradients; no input of the computation had requiresGrad set ' +
        '(or it was computed inside noGrad)',
    );
  }
  const given = gradient ?? implicitGradient(root);
  if (!sameShape(given.shape, root.shape)) {
    throw new AutogradError(`backward: gradient has shape ${formatShape(given.shape)}, expected ${formatShape(root.shape)} like the tensor`);
  }
  // A gradient of another dtype is converted to the tensor's (as PyTorch does), so that leaf grads keep their
  // tensor's dtype and backward rules see the dtype they were written for.
  const seed = given.dtype === root.dtype ? given : castTo(given, root.dtype);
  const order = topologicalOrder(root);
  const pending = new Map<Tensor, Tensor>([[root, seed]]);
  noGrad(() => {
    if (root.gradFn === null) {
      root.grad = accumulateOwned(root.grad, seed);
      return;
    }
    for (const t of order) {
      const gradOutput = pending.get(t);
      if (gradOutput === undefined) continue;
      pending.delete(t);
      if (t.retainsGrad) t.grad = accumulateOwned(t.grad, gradOutput);
      const node = t.gradFn as Node;
      const inputGrads = node.apply(gradOutput);
      node.inputs.forEach((input, i) => {
        const g = inputGrads[i];
        if (!input.requiresGrad || g === null || g === undefined) return;
        if (!sameShape(g.shape, input.shape) || g.dtype !== input.dtype) {
          throw new AutogradError(
            `backward: the rule of '${node.name}' returned a gradient of ${formatShape(g.shape)} ${g.dtype} ` +
              `for input ${i} of ${formatShape(input.shape)} ${input.dtype}`,
          );
        }
        if (input.gradFn === null) input.grad = accumulateOwned(input.grad, g);
        else pending.set(input, accumulate(pending.get(input) ?? null, g));
      });
    }
  });
  if (!options.retainGraph) for (const t of order) (t.gradFn as Node).release();
}

function implicitGradient(root: Tensor): Tensor {
  if (root.size !== 1) {
    throw new AutogradError(
      `backward: the tensor has shape ${formatShape(root.shape)}; backward() without a gradient needs a ` +
        'single-element tensor (reduce it first, e.g. loss.mean()), or pass the gradient explicitly',
    );
  }
  const data = allocate(root.dtype, 1);
  data[0] = 1;
  return new Tensor(data, root.shape);
}

function castTo(t: Tensor, dtype: DType): Tensor {
  const out = allocate(dtype, t.size);
  getBackend().copy(t.view(), t.shape, { data: out, offset: 0, strides: contiguousStrides(t.shape) });
  return new Tensor(out, t.shape);
}

/** Tensors with a grad node reachable from root, each before every tensor it was computed from. */
function topologicalOrder(root: Tensor): Tensor[] {
  const postOrder: Tensor[] = [];
  const visited = new Set<Tensor>();
  const stack: { tensor: Tensor; next: number }[] = [];
  if (root.gradFn !== null) {
    visited.add(root);
    stack.push({ tensor: root, next: 0 });
  }
  // Iterative depth-first search: deep graphs (long RNN unrolls) must not overflow the call stack.
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const inputs = top.tensor.gradFn!.inputs;
    if (top.next < inputs.length) {
      const input = inputs[top.next++]!;
      if (input.gradFn !== null && input.requiresGrad && !visited.has(input)) {
        visited.add(input);
        stack.push({ tensor: input, next: 0 });
      }
    } else {
      postOrder.push(top.tensor);
      stack.pop();
    }
  }
  return postOrder.reverse();
}

/** a + b for same-shaped gradients (a may be null); b itself when a is null. */
function accumulate(a: Tensor | null, b: Tensor): Tensor {
  if (a === null) return b;
  const out = allocate(b.dtype, b.size);
  getBackend().binary('add', a.view(), b.view(), b.shape, out);
  return new Tensor(out, b.shape);
}

/**
 * Like {@link accumulate}, but the result always owns fresh contiguous storage: a `.grad` that is kept
 * must not share memory with another tensor's grad, the caller's gradient, or a view, because optimizers
 * and users may update it in place.
 */
function accumulateOwned(a: Tensor | null, b: Tensor): Tensor {
  return a === null ? new Tensor(b.toTypedArray(), b.shape) : accumulate(a, b);
}
