import type { FloatArray } from '../backend/backend.js';
import { ArgumentError, DTypeError, ShapeError } from '../errors.js';
import { allocate, isFloat } from '../tensor/dtype.js';
import { formatShape, sameShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { allocateLike, ownsStorage } from './storage.js';
import { checkNumber, describeKind } from './validate.js';

/** A set of parameters updated with the same hyperparameters. Every optimizer's groups have at least these. */
export interface ParamGroup {
  /** The parameters, in order; leaf float tensors that own their storage. */
  params: Tensor[];
  /** Learning rate; schedulers rewrite it. */
  lr: number;
  /** Weight decay: L2 added to the gradient (SGD, Adam, RMSprop, Adagrad) or decoupled (AdamW). */
  weightDecay: number;
}

/** A group's settings without its parameters: the optimizer's defaults, and what a state dict saves. */
export type Hyperparameters<G extends ParamGroup> = Omit<G, 'params'>;

/** Parameters with some hyperparameters of their own; the rest fall back to the optimizer's options. */
export type ParamGroupSpec<G extends ParamGroup> = { params: Iterable<Tensor> } & Partial<Hyperparameters<G>>;

/** What an optimizer is built from: parameters (one group), or group specs (one group each). */
export type OptimizerParams<G extends ParamGroup> = Iterable<Tensor> | Iterable<ParamGroupSpec<G>>;

/** Per-parameter state: the number of updates applied and named buffers (moments…) the size of the parameter. */
export interface ParamState {
  step: number;
  /** Float32Array or Float64Array like the parameter, in its row-major order. */
  buffers: Record<string, FloatArray>;
}

/** A hyperparameter's value: a number, a flag, or a tuple such as Adam's betas. */
export type HyperparameterValue = number | boolean | readonly number[];

/** One param group in a state dict: its parameters' indices and its hyperparameters. */
export interface ParamGroupStateDict {
  /** Indices of the group's parameters, numbered across groups in order. */
  params: number[];
  hyperparameters: Record<string, HyperparameterValue>;
}

/**
 * Everything an optimizer needs to resume: plain numbers plus typed arrays (store those as binary
 * tensors, or as number arrays, which {@link Optimizer.loadStateDict} accepts too).
 */
export interface OptimizerStateDict {
  /** One entry per parameter, numbered across groups in order; null for a parameter not updated yet. */
  state: (ParamState | null)[];
  paramGroups: ParamGroupStateDict[];
}

/**
 * Base class of the optimizers. It holds the param groups (PyTorch semantics: hyperparameters a group
 * spec leaves out come from the optimizer's options), skips parameters whose `grad` is null, and keeps
 * per-parameter state that is allocated on a parameter's first update and then reused, so a step
 * allocates nothing.
 *
 * Updates are written in place into `param.data`, which is why parameters must be leaf float tensors
 * that own contiguous storage (checked at construction). Gradients are read, never written.
 *
 * Non-finite gradients are not filtered: a NaN or ∞ in a gradient flows into the parameter and the
 * optimizer state as it does in PyTorch. The training loop's check of the loss is what stops it; resume
 * from a checkpoint (parameters and {@link stateDict}) taken before the bad step.
 *
 * A subclass passes its name, the parameters and its default hyperparameters to the constructor, and
 * implements {@link validateHyperparameters}, {@link updateParameter} and {@link bufferNames}.
 */
export abstract class Optimizer<G extends ParamGroup = ParamGroup> {
  /** The optimizer's name, used in error messages ('SGD', 'Adam', …). */
  readonly name: string;
  /** The param groups. Change a group's hyperparameters (lr…) between steps as needed. */
  readonly paramGroups: G[] = [];
  /** The hyperparameters a group spec falls back to. */
  readonly defaults: Readonly<Hyperparameters<G>>;
  private readonly state = new Map<Tensor, ParamState>();
  private readonly members = new Set<Tensor>();

  /** Names of the per-parameter buffers this optimizer may keep; a state dict may hold no others. */
  protected abstract readonly bufferNames: readonly string[];

  protected constructor(name: string, params: OptimizerParams<G>, defaults: Hyperparameters<G>) {
    this.name = name;
    this.validateHyperparameters(defaults, name);
    this.defaults = Object.freeze(copyHyperparameters(defaults));
    if (params === null || typeof params !== 'object' || !(Symbol.iterator in params)) {
      throw new ArgumentError(`${name}: params must be an iterable of tensors or of param groups { params, ...options }, got ${describeKind(params)}`);
    }
    const items: unknown[] = [...params];
    if (items.length === 0) {
      throw new ArgumentError(`${name}: got an empty parameter list; pass the model's parameters or param groups`);
    }
    const tensors = items.filter((item) => item instanceof Tensor).length;
    if (tensors === items.length) this.addParamGroup({ params: items } as unknown as ParamGroupSpec<G>);
    else if (tensors === 0) for (const spec of items) this.addParamGroup(spec as ParamGroupSpec<G>);
    else throw new ArgumentError(`${name}: params mixes tensors and param groups; pass either tensors or groups { params, ...options }`);
  }

  /**
   * Adds a param group (for example layers unfrozen while fine-tuning); hyperparameters it leaves out
   * come from the optimizer's options. A scheduler created before must be created again.
   */
  addParamGroup(spec: ParamGroupSpec<G>): void {
    const where = `${this.name} param group ${this.paramGroups.length}`;
    if (spec === null || typeof spec !== 'object' || spec.params === null || typeof spec.params !== 'object' || !(Symbol.iterator in spec.params)) {
      throw new ArgumentError(`${where}: expected { params: Tensor[], ...options }, got ${describeKind(spec)}`);
    }
    const overrides: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(spec)) {
      if (key === 'params' || value === undefined) continue;
      if (!Object.hasOwn(this.defaults, key)) {
        throw new ArgumentError(`${where}: unknown option '${key}'; the options of ${this.name} are ${Object.keys(this.defaults).join(', ')}`);
      }
      overrides[key] = value;
    }
    const hyperparameters = copyHyperparameters({ ...this.defaults, ...overrides } as Hyperparameters<G>);
    this.validateHyperparameters(hyperparameters, where);
    const params: unknown[] = [...spec.params];
    const added = new Set<Tensor>();
    const first = this.paramGroups.reduce((n, g) => n + g.params.length, 0);
    params.forEach((p, k) => {
      this.checkParameter(p, first + k, where);
      if (this.members.has(p) || added.has(p)) {
        throw new ArgumentError(`${where}: parameter ${first + k} appears more than once; a parameter may belong to one param group only`);
      }
      added.add(p);
    });
    for (const p of added) this.members.add(p);
    this.paramGroups.push({ ...hyperparameters, params: params as Tensor[] } as unknown as G);
  }

  /**
   * Updates every parameter that has a gradient, in place, using its group's current hyperparameters.
   * Call it after `backward()`; parameters whose `grad` is null are left alone (their state too).
   */
  step(): void {
    let index = 0;
    for (const group of this.paramGroups) {
      for (const p of group.params) {
        const grad = p.grad;
        if (grad !== null) {
          this.checkGradient(p, grad, index);
          let state = this.state.get(p);
          if (state === undefined) {
            state = { step: 0, buffers: {} };
            this.state.set(p, state);
          }
          state.step += 1;
          this.updateParameter(p.data as FloatArray, grad.contiguousData() as FloatArray, state, group);
        }
        index++;
      }
    }
  }

  /** Clears every parameter's gradient (sets `grad` to null), so the next backward starts from zero. */
  zeroGrad(): void {
    for (const group of this.paramGroups) for (const p of group.params) p.grad = null;
  }

  /**
   * A snapshot of the optimizer's state and hyperparameters to resume training from; buffers are copies,
   * so later steps do not change it. Save it together with the parameters.
   */
  stateDict(): OptimizerStateDict {
    let next = 0;
    return {
      state: this.parameters().map((p) => {
        const s = this.state.get(p);
        if (s === undefined) return null;
        const buffers: Record<string, FloatArray> = {};
        for (const [name, buffer] of Object.entries(s.buffers)) buffers[name] = buffer.slice();
        return { step: s.step, buffers };
      }),
      paramGroups: this.paramGroups.map((group) => {
        const { params, ...hyperparameters } = group;
        return { params: params.map(() => next++), hyperparameters: copyHyperparameters(hyperparameters) as Record<string, HyperparameterValue> };
      }),
    };
  }

  /**
   * Restores a state saved by {@link stateDict} of an optimizer of the same kind over parameters of the
   * same sizes, in the same groups. Group hyperparameters are replaced by the saved ones; buffers are
   * copied and converted to each parameter's dtype. Nothing changes when the state does not fit.
   */
  loadStateDict(dict: OptimizerStateDict): void {
    const where = `${this.name}.loadStateDict`;
    if (dict === null || typeof dict !== 'object' || !Array.isArray(dict.state) || !Array.isArray(dict.paramGroups)) {
      throw new ArgumentError(`${where}: expected { state: [...], paramGroups: [...] } as returned by stateDict(), got ${describeKind(dict)}`);
    }
    if (dict.paramGroups.length !== this.paramGroups.length) {
      throw new ArgumentError(`${where}: the state has ${dict.paramGroups.length} param groups, this optimizer has ${this.paramGroups.length}`);
    }
    const expectedKeys = Object.keys(this.defaults).sort();
    const hyperparameters = dict.paramGroups.map((saved, i) => {
      const group = this.paramGroups[i]!;
      const count = Array.isArray(saved?.params) ? saved.params.length : undefined;
      if (count !== group.params.length) {
        throw new ArgumentError(`${where}: param group ${i} has ${count ?? 'no list of'} parameters in the state, ${group.params.length} in this optimizer`);
      }
      const keys = Object.keys(saved.hyperparameters ?? {}).sort();
      if (keys.join() !== expectedKeys.join()) {
        throw new ArgumentError(
          `${where}: param group ${i} has hyperparameters [${keys.join(', ')}] in the state, but ${this.name} has ` +
            `[${expectedKeys.join(', ')}]; was the state saved from another kind of optimizer?`,
        );
      }
      const values = copyHyperparameters(saved.hyperparameters) as unknown as Hyperparameters<G>;
      this.validateHyperparameters(values, `${where}: param group ${i}`);
      return values;
    });
    const params = this.parameters();
    if (dict.state.length !== params.length) {
      throw new ArgumentError(`${where}: the state has entries for ${dict.state.length} parameters, this optimizer has ${params.length}`);
    }
    const states = params.map((p, index) => this.restoreState(dict.state[index], p, index, where));
    this.paramGroups.forEach((group, i) => Object.assign(group, hyperparameters[i]));
    this.state.clear();
    states.forEach((s, index) => {
      if (s !== null) this.state.set(params[index]!, s);
    });
  }

  /**
   * Throws an ArgumentError (naming `where`) unless the hyperparameters are valid. Runs on the options,
   * on every group at construction, and on loaded state.
   */
  protected abstract validateHyperparameters(hyperparameters: Hyperparameters<G>, where: string): void;

  /**
   * Applies one update in place. `param` is the parameter's storage, `grad` its gradient in the same
   * row-major order (read only), `state.step` already counts this update.
   */
  protected abstract updateParameter(param: FloatArray, grad: FloatArray, state: ParamState, group: G): void;

  /** The state buffer `name`, allocated like `param` and filled with `fill` the first time it is asked for. */
  protected buffer(state: ParamState, name: string, param: FloatArray, fill = 0): FloatArray {
    let buffer = state.buffers[name];
    if (buffer === undefined) {
      buffer = allocateLike(param, param.length);
      if (fill !== 0) buffer.fill(fill);
      state.buffers[name] = buffer;
    }
    return buffer;
  }

  /** Every parameter, across groups in order: the numbering of state dicts. */
  private parameters(): Tensor[] {
    return this.paramGroups.flatMap((g) => g.params);
  }

  private checkParameter(p: unknown, index: number, where: string): asserts p is Tensor {
    if (!(p instanceof Tensor)) throw new ArgumentError(`${where}: parameter ${index} is not a Tensor, got ${describeKind(p)}`);
    if (!isFloat(p.dtype)) {
      throw new DTypeError(`${where}: parameter ${index} has dtype ${p.dtype}; only float32 and float64 tensors can be optimized`);
    }
    if (p.gradFn !== null) {
      throw new ArgumentError(
        `${where}: parameter ${index} is not a leaf tensor (it is the output of '${p.gradFn.name}'); optimize the tensors you created, not results computed from them`,
      );
    }
    if (!ownsStorage(p)) {
      throw new ArgumentError(
        `${where}: parameter ${index} of shape ${formatShape(p.shape)} is a view (non-contiguous, offset, or part of a larger storage); ` +
          'optimizers update parameters in place, so pass a tensor that owns its storage, e.g. new Tensor(p.toTypedArray(), p.shape).setRequiresGrad()',
      );
    }
  }

  private checkGradient(p: Tensor, grad: Tensor, index: number): void {
    if (!sameShape(grad.shape, p.shape)) {
      throw new ShapeError(`${this.name}.step: parameter ${index} has shape ${formatShape(p.shape)} but its grad has shape ${formatShape(grad.shape)}`);
    }
    if (grad.dtype !== p.dtype) {
      throw new DTypeError(`${this.name}.step: parameter ${index} is ${p.dtype} but its grad is ${grad.dtype}`);
    }
  }

  private restoreState(entry: ParamState | null | undefined, p: Tensor, index: number, where: string): ParamState | null {
    if (entry === null || entry === undefined) return null;
    const at = `${where}: parameter ${index}`;
    checkNumber(entry.step, 'step', at, { min: 0, integer: true });
    if (entry.buffers === null || typeof entry.buffers !== 'object') {
      throw new ArgumentError(`${at}: buffers must be an object of named arrays, got ${describeKind(entry.buffers)}`);
    }
    const buffers: Record<string, FloatArray> = {};
    for (const [name, saved] of Object.entries(entry.buffers) as [string, unknown][]) {
      if (!this.bufferNames.includes(name)) {
        throw new ArgumentError(`${at}: unknown buffer '${name}'; ${this.name} keeps ${this.bufferNames.join(', ')}`);
      }
      const length = ArrayBuffer.isView(saved) || Array.isArray(saved) ? (saved as ArrayLike<number>).length : undefined;
      if (length !== p.size) {
        throw new ArgumentError(
          `${at}: buffer '${name}' has ${length === undefined ? `the wrong type (${describeKind(saved)})` : `${length} elements`}, ` +
            `the parameter has ${p.size} (shape ${formatShape(p.shape)})`,
        );
      }
      const buffer = allocate(p.dtype, p.size) as FloatArray;
      buffer.set(saved as ArrayLike<number>);
      buffers[name] = buffer;
    }
    return { step: entry.step, buffers };
  }
}

/** A shallow copy whose tuple values (betas) are copied too, so groups never share them. */
function copyHyperparameters<T extends object>(values: T): T {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) out[key] = Array.isArray(value) ? [...(value as unknown[])] : value;
  return out as T;
}
