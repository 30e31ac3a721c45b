import { getBackend } from '../backend/registry.js';
import { ShapeError } from '../errors.js';
import type { DType } from '../tensor/dtype.js';
import { formatShape, sameShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { Parameter } from './parameter.js';
import { formatSummary } from './summary.js';

/** A model's state by dotted name (`features.0.weight`): parameters and buffers. */
export type StateDict = Record<string, Tensor>;

/** Options of {@link Module.loadStateDict}. */
export interface LoadStateDictOptions {
  /** Require the keys to match exactly (default). With false, missing and unexpected keys are ignored. */
  strict?: boolean;
}

/**
 * The base of every layer and model. Parameters, buffers and submodules are found by walking the
 * instance's own fields, in declaration order: a {@link Parameter} field is a parameter, any other tensor
 * field is a buffer (state such as running statistics, saved but not trained), a Module field is a child,
 * and an array of modules holds children named by the field and their index (`blocks.0`).
 */
export abstract class Module {
  /** Training mode (dropout active, batch statistics) versus evaluation mode. */
  training = true;

  /** Computes the module's output. */
  abstract forward(input: Tensor): Tensor;

  /** Direct submodules with their field names (array items as `field.index`). */
  namedChildren(): [string, Module][] {
    const children: [string, Module][] = [];
    for (const [name, value] of Object.entries(this)) {
      if (value instanceof Module) children.push([name, value]);
      else if (Array.isArray(value)) {
        // Prefixed by the field's name (`blocks.0`), as PyTorch names a ModuleList: two arrays of
        // modules would otherwise both give `0.weight`, and one would vanish from stateDict.
        value.forEach((item, i) => {
          if (item instanceof Module) children.push([`${name}.${i}`, item]);
        });
      }
    }
    return children;
  }

  /** This module and every descendant, with dotted names ('' for this one). */
  namedModules(prefix = ''): [string, Module][] {
    const all: [string, Module][] = [[prefix, this]];
    for (const [name, child] of this.namedChildren()) all.push(...child.namedModules(join(prefix, name)));
    return all;
  }

  /**
   * Every parameter with its dotted name. A parameter shared by several layers (tied weights) is listed
   * once, under its first name, so optimizers step it once and parameterCount counts it once; stateDict
   * keeps every name, as PyTorch does.
   */
  namedParameters(): [string, Parameter][] {
    const seen = new Set<Tensor>();
    return this.namedTensors().filter((entry): entry is [string, Parameter] => {
      if (!(entry[1] instanceof Parameter) || seen.has(entry[1])) return false;
      seen.add(entry[1]);
      return true;
    });
  }

  /** Every parameter, in a stable order (what optimizers take). */
  parameters(): Parameter[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Every buffer (non-trained state) with its dotted name. */
  namedBuffers(): [string, Tensor][] {
    return this.namedTensors().filter(([, t]) => !(t instanceof Parameter));
  }

  private namedTensors(): [string, Tensor][] {
    const tensors: [string, Tensor][] = [];
    for (const [prefix, module] of this.namedModules()) {
      for (const [name, value] of Object.entries(module)) {
        if (value instanceof Tensor) tensors.push([join(prefix, name), value]);
      }
    }
    return tensors;
  }

  /** Number of trainable values. */
  parameterCount(): number {
    return this.parameters().reduce((n, p) => n + p.size, 0);
  }

  /** Parameters and buffers by dotted name; the tensors are the module's own (not copies). */
  stateDict(): StateDict {
    return Object.fromEntries(this.namedTensors());
  }

  /**
   * Copies values into this module's parameters and buffers (in place, so optimizers holding them keep
   * working). In strict mode any missing or unexpected key is an error; a wrong shape always is. The
   * error lists every problem at once.
   */
  loadStateDict(state: StateDict, options: LoadStateDictOptions = {}): void {
    const strict = options.strict ?? true;
    const own = new Map(this.namedTensors());
    const missing = [...own.keys()].filter((k) => !(k in state));
    const unexpected = Object.keys(state).filter((k) => !own.has(k));
    const wrongShape = Object.entries(state)
      .filter(([k, v]) => own.has(k) && !sameShape(own.get(k)!.shape, v.shape))
      .map(([k, v]) => `${k}: expected ${formatShape(own.get(k)!.shape)}, got ${formatShape(v.shape)}`);
    const problems = [
      ...(strict && missing.length ? [`missing keys: ${missing.join(', ')}`] : []),
      ...(strict && unexpected.length ? [`unexpected keys: ${unexpected.join(', ')}`] : []),
      ...(wrongShape.length ? [`wrong shapes: ${wrongShape.join('; ')}`] : []),
    ];
    if (problems.length) throw new ShapeError(`loadStateDict: the state does not fit this model — ${problems.join(' | ')}`);
    const backend = getBackend();
    for (const [name, value] of Object.entries(state)) {
      const target = own.get(name);
      if (target === undefined) continue;
      backend.copy(value.view(), value.shape, target.view());
    }
  }

  /** Clears the gradients of every parameter (sets them to null, so the next backward starts afresh). */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  /** Sets training mode on this module and every descendant. */
  train(mode = true): this {
    for (const [, module] of this.namedModules()) module.training = mode;
    return this;
  }

  /** Sets evaluation mode (dropout off, batch norm uses running statistics). */
  eval(): this {
    return this.train(false);
  }

  /**
   * A table of the layers with their output shapes and parameter counts, for one input of
   * `inputShape` (without the batch dimension): `model.summary([1, 28, 28])`.
   */
  summary(inputShape: readonly number[]): string {
    return formatSummary(this, inputShape);
  }

  /**
   * The element type of the input this module takes, used to probe output shapes (specs, summaries):
   * that of its first child, float32 for a leaf; Embedding takes int32 indices.
   */
  inputDType(): DType {
    const first = this.namedChildren()[0];
    return first ? first[1].inputDType() : 'float32';
  }

  /** A one-line description used by `toString` and summaries; layers override it with their settings. */
  describe(): string {
    return this.constructor.name;
  }

  /** The module tree, one line per module, indented by depth. */
  toString(): string {
    const lines: string[] = [];
    const walk = (module: Module, name: string, depth: number): void => {
      lines.push(`${'  '.repeat(depth)}${name ? `(${name}): ` : ''}${module.describe()}`);
      for (const [childName, child] of module.namedChildren()) walk(child, childName, depth + 1);
    };
    walk(this, '', 0);
    return lines.join('\n');
  }
}

function join(prefix: string, name: string): string {
  return prefix ? `${prefix}.${name}` : name;
}
