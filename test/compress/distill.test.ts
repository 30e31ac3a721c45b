import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { distill } from '../../src/compress/distill/distill.js';
import { distillationLoss } from '../../src/compress/distill/distillation-loss.js';
import { ArgumentError } from '../../src/errors.js';
import { Ensemble } from '../../src/nn/layers/ensemble.js';
import type { Module } from '../../src/nn/module.js';
import { buildModel } from '../../src/nn/spec.js';
import { Adam } from '../../src/optim/adam.js';
import { add } from '../../src/ops/arithmetic.js';
import { fromArray } from '../../src/tensor/creation.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { EarlyStopping } from '../../src/train/callbacks/early-stopping.js';
import { evaluate } from '../../src/train/evaluate.js';
import { fit } from '../../src/train/fit.js';
import { circles, smallMlp, weightsOf } from '../train/helpers.js';

describe('distillationLoss', () => {
  test('equals alpha·KL(teacher/T ‖ student/T)·T² + (1 − alpha)·CE, computed by hand', () => {
    const s = [[1, -2, 0.5], [0.3, 0.2, -1]];
    const t = [[4, 0, -3], [-1, 2, 1]];
    const labels = [0, 2];
    const T = 3;
    const alpha = 0.7;
    const softmax = (row: number[], temp: number): number[] => {
      const e = row.map((v) => Math.exp(v / temp));
      const z = e.reduce((a, b) => a + b);
      return e.map((v) => v / z);
    };
    let kl = 0;
    let ce = 0;
    s.forEach((row, n) => {
      const p = softmax(t[n]!, T);
      const q = softmax(row, T);
      kl += p.reduce((acc, pi, i) => acc + pi * Math.log(pi / q[i]!), 0);
      ce -= Math.log(softmax(row, 1)[labels[n]!]!);
    });
    const expected = alpha * (kl / 2) * T * T + (1 - alpha) * (ce / 2);
    const loss = distillationLoss(fromArray(s), fromArray(t), fromArray(labels, { dtype: 'int32' }), { temperature: T, alpha });
    assert.ok(Math.abs(loss.item() - expected) < 1e-5, `${loss.item()} vs ${expected}`);
  });

  test('no gradient reaches the teacher; bad settings are refused', () => {
    const student = fromArray([[1, 2]]).setRequiresGrad();
    const teacher = fromArray([[2, 1]]).setRequiresGrad();
    distillationLoss(student, teacher, fromArray([0], { dtype: 'int32' })).backward();
    assert.ok(student.grad !== null);
    assert.equal(teacher.grad, null);
    const labels = fromArray([0], { dtype: 'int32' });
    assert.throws(() => distillationLoss(student, teacher, labels, { temperature: 0 }), ArgumentError);
    assert.throws(() => distillationLoss(student, teacher, labels, { alpha: 1.5 }), ArgumentError);
  });
});

describe('distill', () => {
  const data = circles(192, 11);
  const validation = circles(64, 12);

  async function trainedTeacher() {
    const teacher = buildModel({ input: [2], layers: [{ type: 'linear', out: 32 }, { type: 'relu' }, { type: 'linear', out: 2 }] }, { seed: 20 });
    await fit(teacher, { train: data, loss: 'cross-entropy', optimizer: new Adam(teacher.parameters(), { lr: 0.02 }), epochs: 6, batchSize: 32, seed: 3, verbose: false });
    return teacher;
  }

  test('alpha = 0 is plain cross-entropy training, bit for bit (dropout, shuffling and validation included)', async () => {
    const teacher = await trainedTeacher();
    const plain = smallMlp(8);
    const plainHistory = await fit(plain, { train: data, validation, loss: 'cross-entropy', optimizer: new Adam(plain.parameters(), { lr: 0.01 }), epochs: 3, batchSize: 32, metrics: ['accuracy'], seed: 5, verbose: false });
    const student = smallMlp(8);
    const history = await distill({ teacher, student, alpha: 0, temperature: 4, train: data, validation, optimizer: new Adam(student.parameters(), { lr: 0.01 }), epochs: 3, batchSize: 32, metrics: ['accuracy'], seed: 5, verbose: false });
    assert.deepEqual(weightsOf(student), weightsOf(plain));
    const strip = (h: typeof history) => h.epochs.map((e) => [e.logs.loss, e.logs.accuracy, e.logs.val_loss, e.logs.val_accuracy]);
    assert.deepEqual(strip(history), strip(plainHistory));
  });

  test('with alpha > 0 the student learns from the teacher, which is left untouched and in evaluation mode', async () => {
    const teacher = await trainedTeacher();
    const teacherWeights = weightsOf(teacher);
    teacher.eval();
    teacher.zeroGrad();
    const student = smallMlp(8);
    const plain = smallMlp(8);
    await fit(plain, { train: data, loss: 'cross-entropy', optimizer: new Adam(plain.parameters(), { lr: 0.01 }), epochs: 2, batchSize: 32, seed: 5, verbose: false });
    const history = await distill({
      teacher, student, alpha: 0.9, temperature: 2, train: data, validation, optimizer: new Adam(student.parameters(), { lr: 0.01 }), epochs: 6, batchSize: 32, seed: 5, verbose: false,
      metrics: ['accuracy'], callbacks: [new EarlyStopping({ monitor: 'val_loss', patience: 10, restoreBestWeights: true })],
    });
    assert.notDeepEqual(weightsOf(student), weightsOf(plain));
    assert.deepEqual(weightsOf(teacher), teacherWeights);
    assert.equal(teacher.training, false);
    assert.deepEqual(teacher.parameters().map((p) => p.grad), teacher.parameters().map(() => null));
    assert.ok(history.epochs.at(-1)!.logs.loss! < history.epochs[0]!.logs.loss!);
    assert.ok(evaluate(student, validation, { metrics: ['accuracy'] }).accuracy! > 0.9);
    assert.deepEqual(Object.keys(student.stateDict()), ['0.weight', '0.bias', '3.weight', '3.bias']);
  });

  test('an Ensemble teacher teaches the mean of its members: two copies of one teacher teach exactly what it does', async () => {
    const teacher = await trainedTeacher();
    const run = async (t: Module) => {
      const student = smallMlp(8);
      await distill({ teacher: t, student, alpha: 0.7, temperature: 3, train: data, optimizer: new Adam(student.parameters(), { lr: 0.01 }), epochs: 2, batchSize: 32, seed: 5, verbose: false });
      return weightsOf(student);
    };
    const alone = await run(teacher);
    assert.deepEqual(await run(new Ensemble([teacher, teacher])), alone);
    const other = await trainedTeacher();
    other.parameters().forEach((p) => p.data.fill(0));
    assert.notDeepEqual(await run(new Ensemble([teacher, other])), alone);
  });

  test('with augmentation the teacher labels the very batch the student sees', async () => {
    const teacher = await trainedTeacher();
    const augmented: Tensor[] = [];
    const seen: Tensor[] = [];
    const forward = teacher.forward.bind(teacher);
    teacher.forward = (x: Tensor) => {
      seen.push(x);
      return forward(x);
    };
    const student = smallMlp(8);
    const augment = (batch: Tensor) => {
      const shifted = add(batch, 0.25);
      augmented.push(shifted);
      return shifted;
    };
    await distill({ teacher, student, augment, train: data, optimizer: new Adam(student.parameters(), { lr: 0.01 }), epochs: 1, batchSize: 64, seed: 5, verbose: false });
    assert.equal(augmented.length, 3);
    assert.deepEqual(seen, augmented);
  });

  test('the teacher and the student must differ', async () => {
    const model = smallMlp(1);
    await assert.rejects(distill({ teacher: model, student: model, train: data, optimizer: new Adam(model.parameters()), epochs: 1, verbose: false }), ArgumentError);
  });
});
