import { ArgumentError } from '../../errors.js';
import type { Module } from '../../nn/module.js';
import type { Parameter } from '../../nn/parameter.js';
import { SpecModel } from '../../nn/spec.js';
import { Tensor } from '../../tensor/tensor.js';
import type { Callback, CallbackState, TrainingContext } from '../../train/callbacks/callback.js';
import { maskChannels } from './channel-masks.js';
import type { ChannelSelection } from './channels.js';
import { magnitudeMasks, type PruningScope } from './magnitude.js';
import { applyMasks, maskOf, setMask } from './masks.js';
import { prunableWeights } from './prunable.js';
import type { PruningSchedule } from './schedules.js';

/** Options of {@link PruningCallback}. */
export interface PruningCallbackOptions {
  /** When and how far to prune; without one, the callback only keeps the masks already set applied. */
  schedule?: PruningSchedule;
  /** Magnitude criterion of the schedule's updates (default 'layer'). */
  scope?: PruningScope;
  /** Weights the schedule prunes (state-dict names); default every Linear and Conv2d weight. */
  weights?: readonly string[];
  /**
   * Prune whole output channels instead of single values (see `maskChannels`; `{}` for L1 over every
   * prunable layer): the schedule's sparsity is then the share of channels per layer. Needs a SpecModel;
   * `removeMaskedChannels` then removes them for good.
   */
  channels?: ChannelSelection;
}

/**
 * Prunes while `fit` trains: before the first step and after every optimizer step it updates the masks
 * when the schedule says so, then applies every mask, so the forward pass never sees a pruned value
 * regrown by the optimizer (momentum keeps pushing it). The masks are saved in checkpoints, so a resumed
 * run keeps them. Call `bake(model)` after training to make the pruning permanent (`removeMaskedChannels`
 * for channels).
 */
export class PruningCallback implements Callback {
  readonly key = 'pruning';
  private model: Module | null = null;
  private restored: Record<string, Tensor> | null = null;
  private sparsity: number | null = null;

  constructor(private readonly options: PruningCallbackOptions = {}) {
    const { schedule, scope, weights, channels } = options;
    if (schedule === undefined && (scope !== undefined || weights !== undefined || channels !== undefined)) {
      throw new ArgumentError('PruningCallback: scope, weights and channels choose what a schedule prunes; give a schedule too');
    }
    if (channels !== undefined && (scope !== undefined || weights !== undefined)) {
      throw new ArgumentError('PruningCallback: scope and weights choose single values to prune, channels whole channels; give one or the other');
    }
  }

  /** The sparsity of the last mask update by the schedule, or null before the first. */
  get currentSparsity(): number | null {
    return this.sparsity;
  }

  onTrainBegin(context: TrainingContext): void {
    if (this.options.channels && !(context.model instanceof SpecModel)) {
      throw new ArgumentError('PruningCallback: channel pruning follows the layers of a SpecModel (made by buildModel or loaded from a file); this model is not one');
    }
    this.model = context.model;
    if (this.restored) {
      const byName = new Map(context.model.namedParameters());
      for (const [name, mask] of Object.entries(this.restored)) {
        const weight = byName.get(name);
        if (!weight) throw new ArgumentError(`PruningCallback: the checkpoint has a mask for '${name}', which this model does not have`);
        setMask(weight, Float32Array.from(mask.contiguousData()));
      }
      this.restored = null;
    }
    this.update(context.step);
  }

  onBatchEnd(context: TrainingContext): void {
    this.update(context.step);
  }

  private update(step: number): void {
    const model = this.model!;
    const sparsity = this.options.schedule?.sparsityAt(step) ?? null;
    if (sparsity !== null) {
      const { channels } = this.options;
      if (channels) maskChannels(model as SpecModel, { ...channels, sparsity });
      else {
        const weights = prunableWeights(model, this.options.weights);
        magnitudeMasks(weights, sparsity, this.options.scope).forEach((mask, i) => setMask(weights[i]!.weight, mask));
      }
      this.sparsity = sparsity;
    }
    applyMasks(model);
  }

  stateDict(): CallbackState {
    const tensors: Record<string, Tensor> = {};
    for (const [name, weight] of this.model?.namedParameters() ?? []) {
      const mask = maskOf(weight as Parameter);
      if (mask) tensors[name] = new Tensor(Float32Array.from(mask), [mask.length]);
    }
    return { values: { currentSparsity: this.sparsity }, tensors };
  }

  loadStateDict(state: CallbackState): void {
    const sparsity = state.values['currentSparsity'];
    this.sparsity = typeof sparsity === 'number' ? sparsity : null;
    this.restored = state.tensors ?? {};
  }
}
