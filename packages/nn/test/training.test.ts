import { describe, expect, it } from 'vitest';
import {
  ArgumentError,
  Callback,
  EarlyStopping,
  type Logs,
  loadWeights,
  manualSeed,
  memory,
  ModelCheckpoint,
  Module,
  noGrad,
  Parameter,
  randn,
  saveWeights,
  scope,
  ShapeError,
  type Tensor,
  tensor,
  zeros,
  LearningRateScheduler,
} from '../src/index';
import { TinySGD } from './tiny-sgd';

/** A linear classifier over 2 features into 2 classes. */
class Linear2 extends Module {
  weight = new Parameter(zeros([2, 2]));
  bias = new Parameter(zeros([2]));
  seen: number[] = [];
  forward(x: Tensor): Tensor {
    if (this.training) this.seen.push(...Array.from(x.narrow(1, 0, 1).dataSync()));
    return x.matmul(this.weight).add(this.bias);
  }
}

/** Softmax cross-entropy against one-hot targets, built from tensor ops. */
const xent = (logits: Tensor, target: Tensor) => logits.logSoftmax(-1).mul(target).sum(-1).neg().mean();

function dataset(n: number) {
  manualSeed(3);
  const x = randn([n, 2]);
  const cls = noGrad(() =>
    x
      .narrow(1, 0, 1)
      .add(x.narrow(1, 1, 1))
      .gt(0)
      .to('float32'),
  ); // label: x0 + x1 > 0
  const y = scope(() =>
    tensor([[1, 0]])
      .mul(cls.neg().add(1))
      .add(tensor([[0, 1]]).mul(cls)),
  );
  cls.dispose();
  return { x, y };
}

function compiled(lr = 0.5) {
  const m = new Linear2();
  m.compile({ optimizer: new TinySGD(m.parameters(), lr), loss: xent, metrics: ['accuracy'] });
  return m;
}

describe('Keras-style training', () => {
  it('fit lowers the loss and returns Keras history keys per epoch; evaluate and predict agree', async () => {
    const { x, y } = dataset(200);
    const m = compiled();
    const h = await m.fit(x, y, { epochs: 5, batchSize: 20, validationSplit: 0.2, verbose: 0 });
    expect(Object.keys(h.history).sort()).toEqual(['accuracy', 'loss', 'val_accuracy', 'val_loss']);
    expect(h.epoch).toEqual([0, 1, 2, 3, 4]);
    expect(h.history.loss[4]).toBeLessThan(h.history.loss[0]);
    expect(h.history.val_accuracy[4]).toBeGreaterThan(0.9);
    const ev = await m.evaluate(x, y);
    const logits = m.predict(x, { batchSize: 64 });
    expect(logits.shape).toEqual([200, 2]);
    const manual = await xent(logits, y).item();
    expect(ev.loss).toBeCloseTo(manual, 5);
    expect(m.training).toBe(true); // predict/evaluate restore the mode
  });

  it('validationSplit holds out the last samples, disjoint from training', async () => {
    const x = tensor(Array.from({ length: 10 }, (_, i) => [i, 0]));
    const y = tensor(Array.from({ length: 10 }, () => [1, 0]));
    const m = compiled();
    await m.fit(x, y, { epochs: 2, batchSize: 3, validationSplit: 0.3, verbose: 0 });
    expect(new Set(m.seen)).toEqual(new Set([0, 1, 2, 3, 4, 5, 6]));
    expect(m.seen.length).toBe(14); // every training sample once per epoch, shuffled
  });

  it('calls callbacks in order with logs', async () => {
    const { x, y } = dataset(8);
    const calls: string[] = [];
    class Rec extends Callback {
      override onTrainBegin() {
        calls.push('trainBegin');
      }
      override onEpochBegin(e: number) {
        calls.push(`epochBegin${e}`);
      }
      override onBatchBegin(b: number) {
        calls.push(`batchBegin${b}`);
      }
      override onBatchEnd(b: number, logs: Logs) {
        calls.push(`batchEnd${b}:${typeof logs.loss}`);
      }
      override onEpochEnd(e: number, logs: Logs) {
        calls.push(`epochEnd${e}:${'val_loss' in logs}`);
      }
      override onTrainEnd() {
        calls.push('trainEnd');
      }
    }
    await compiled().fit(x, y, { epochs: 2, batchSize: 4, validationData: [x, y], callbacks: [new Rec()], verbose: 0 });
    expect(calls).toEqual([
      'trainBegin',
      'epochBegin0',
      'batchBegin0',
      'batchEnd0:number',
      'batchBegin1',
      'batchEnd1:number',
      'epochEnd0:true',
      'epochBegin1',
      'batchBegin0',
      'batchEnd0:number',
      'batchBegin1',
      'batchEnd1:number',
      'epochEnd1:true',
      'trainEnd',
    ]);
  });

  it('EarlyStopping stops after `patience` epochs without improvement and can restore the best weights', async () => {
    const { x, y } = dataset(40);
    const m = compiled(0); // lr 0: the loss never improves after the first epoch
    const stop = new EarlyStopping({ monitor: 'loss', patience: 2 });
    const h = await m.fit(x, y, { epochs: 20, batchSize: 40, callbacks: [stop], verbose: 0, shuffle: false });
    expect(h.epoch).toEqual([0, 1, 2]);
    expect(stop.stoppedEpoch).toBe(2);
    expect(() => new EarlyStopping({ patience: -1 })).toThrow(ArgumentError);
    expect(() => new EarlyStopping({ patient: 2 } as never)).toThrow(
      "EarlyStopping: unknown option 'patient' (expected monitor, minDelta, patience, mode, restoreBestWeights)",
    );
    expect(() => new ModelCheckpoint({ save: () => {}, save_best_only: true } as never)).toThrow(
      "ModelCheckpoint: unknown option 'save_best_only' (did you mean 'saveBestOnly'?) (expected save, monitor, saveBestOnly, mode)",
    );
    expect(() => new LearningRateScheduler({ step() {} }, { metric: 'loss' } as never)).toThrow(
      "LearningRateScheduler: unknown option 'metric' (expected monitor)",
    );
  });

  it('LearningRateScheduler steps the scheduler each epoch; ModelCheckpoint saves the best weights', async () => {
    const { x, y } = dataset(20);
    const m = compiled();
    const steps: (number | undefined)[] = [];
    const saved: number[] = [];
    await m.fit(x, y, {
      epochs: 3,
      batchSize: 10,
      verbose: 0,
      callbacks: [
        new LearningRateScheduler({ step: (v?: number) => steps.push(v) }, { monitor: 'loss' }),
        new ModelCheckpoint({
          monitor: 'loss',
          saveBestOnly: true,
          save: (bytes, epoch) => {
            saved.push(epoch);
            expect(bytes.length).toBeGreaterThan(8);
          },
        }),
      ],
    });
    expect(steps.length).toBe(3);
    expect(steps.every((v) => typeof v === 'number')).toBe(true);
    expect(saved[0]).toBe(0);
  });

  it('draws a progress bar with ETA on a terminal, one line per epoch elsewhere or with verbose 2, nothing with verbose 0', async () => {
    const { x, y } = dataset(40);
    let out = '';
    const tty = {
      isTTY: true,
      columns: 100,
      write: (s: string) => {
        out += s;
      },
    };
    await compiled().fit(x, y, { epochs: 2, batchSize: 10, stream: tty });
    expect(out).toContain('Epoch 1/2');
    expect(out).toMatch(/4\/4 \[=+\] \d+s ETA \d+s · loss \d\.\d{4} · accuracy \d\.\d{4}/);
    out = '';
    await compiled().fit(x, y, {
      epochs: 2,
      batchSize: 10,
      stream: {
        isTTY: false,
        write: (s: string) => {
          out += s;
        },
      },
    });
    expect(out.trim().split('\n')).toHaveLength(2); // one line per epoch when not a terminal (CI logs, pipes)
    expect(out).toMatch(/^Epoch 1\/2 · \d+s · loss .*\nEpoch 2\/2 · /);
    out = '';
    await compiled().fit(x, y, { epochs: 2, batchSize: 10, verbose: 0, stream: { isTTY: false, write: (s: string) => (out += s) } });
    expect(out).toBe('');
    await compiled().fit(x, y, {
      epochs: 2,
      batchSize: 10,
      verbose: 2,
      stream: {
        write: (s: string) => {
          out += s;
        },
      },
    });
    expect(out.trim().split('\n')).toHaveLength(2);
    expect(out).toMatch(/^Epoch 1\/2 · \d+s · loss /);
  });

  it('rejects misuse with clear errors', async () => {
    const { x, y } = dataset(10);
    const m = new Linear2();
    await expect(() => m.fit(x, y)).toThrow(/fit: call model.compile\(\{ optimizer, loss \}\) first/);
    expect(() => m.compile({ optimizer: {} as never, loss: xent })).toThrow(
      /compile: optimizer must be 'sgd', 'adam', 'adamw', 'rmsprop', 'adagrad' or have step\(\) and zeroGrad\(\)/,
    );
    const c = compiled();
    await expect(c.fit(x, y.narrow(0, 0, 5))).rejects.toThrow(ShapeError);
    await expect(c.fit(x, y, { validationSplit: 1.5 })).rejects.toThrow(/validationSplit must be in \[0, 1\)/);
    await expect(c.fit(x, y, { batchSize: 0 })).rejects.toThrow(/batchSize must be a positive integer, got 0/);
    const diverging = compiled(1e30);
    await expect(diverging.fit(x.mul(1e20), y, { epochs: 3, verbose: 0 })).rejects.toThrow(/the loss became (NaN|Infinity)/);
  });

  it('saveWeights/loadWeights round-trip through safetensors', async () => {
    const a = compiled();
    a.weight.assign(
      tensor([
        [1, 2],
        [3, 4],
      ]),
    );
    const bytes = await saveWeights(a);
    const b = new Linear2();
    loadWeights(b, bytes);
    expect(await b.weight.toArray()).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });

  it('a fit leaves no tensors behind', async () => {
    const { x, y } = dataset(30);
    const m = compiled();
    await m.fit(x, y, { epochs: 1, verbose: 0 }); // first fit creates nothing lasting except grads
    m.zeroGrad();
    const before = memory();
    await m.fit(x, y, { epochs: 3, batchSize: 7, validationSplit: 0.2, verbose: 0 });
    m.zeroGrad();
    expect(memory().tensors).toBe(before.tensors);
    expect(memory().bytes).toBe(before.bytes);
  });
});
