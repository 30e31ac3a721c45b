import { noGrad } from '../autograd/grad-mode.js';
import { zeros } from '../tensor/creation.js';
import { formatShape, type Shape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Module } from './module.js';
import { Parameter } from './parameter.js';

/** One row of a model summary. */
export interface SummaryRow {
  /** Dotted path of the layer (`features.0`). */
  name: string;
  layer: string;
  /** Output shape with the batch dimension shown as −1. */
  outputShape: number[];
  /** Parameters held directly by this layer (not its children). */
  parameters: number;
}

/**
 * Runs one sample of zeros with shape `inputShape` (without the batch dimension) through the model in
 * evaluation mode and records each leaf layer's output shape and parameter count.
 */
export function summarize(model: Module, inputShape: Shape): SummaryRow[] {
  const rows: SummaryRow[] = [];
  // A module shared by several paths (tied layers) is wrapped once: wrapping it twice would record each call twice.
  const seen = new Set<Module>();
  const leaves = model.namedModules().filter(([, m]) => m.namedChildren().length === 0 && !seen.has(m) && seen.add(m));
  const restore: (() => void)[] = [];
  for (const [name, module] of leaves) {
    const original = module.forward;
    const ownBefore = Object.getOwnPropertyDescriptor(module, 'forward');
    // Shadow the prototype's forward on the instance for the duration of the probe.
    module.forward = (x: Tensor): Tensor => {
      const out = original.call(module, x);
      const own = Object.values(module).reduce((n: number, v) => n + (v instanceof Parameter ? v.size : 0), 0);
      rows.push({ name: name || module.constructor.name, layer: module.describe(), outputShape: [-1, ...out.shape.slice(1)], parameters: own });
      return out;
    };
    restore.push(() => {
      // Put back a forward the instance had of its own (a user's patch), else uncover the prototype's.
      if (ownBefore) Object.defineProperty(module, 'forward', ownBefore);
      else delete (module as { forward?: unknown }).forward;
    });
  }
  // Restore each module's own mode: a model may mix them (e.g. frozen batch norm in a training model).
  const modes = model.namedModules().map(([, m]) => [m, m.training] as const);
  model.eval();
  try {
    noGrad(() => model.forward(zeros([1, ...inputShape], { dtype: model.inputDType() })));
  } finally {
    restore.forEach((undo) => undo());
    for (const [m, training] of modes) m.training = training;
  }
  return rows;
}

/** The summary as a table: layer, output shape, parameters, and the total. */
export function formatSummary(model: Module, inputShape: Shape): string {
  const rows = summarize(model, inputShape);
  const cells = rows.map((r) => [r.name, r.layer, formatShape(r.outputShape), r.parameters.toLocaleString('en-US')]);
  const header = ['name', 'layer', 'output shape', 'parameters'];
  const widths = header.map((h, c) => Math.max(h.length, ...cells.map((row) => row[c]!.length)));
  const line = (row: string[]): string => row.map((cell, c) => (c === 3 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ');
  const rule = '─'.repeat(widths.reduce((a, b) => a + b + 2, -2));
  const total = model.parameterCount();
  return [line(header), rule, ...cells.map(line), rule, `input ${formatShape([-1, ...inputShape])}, ${total.toLocaleString('en-US')} trainable parameters`].join('\n');
}
