import { describe, expect, it } from 'vitest';
import {
  ArgumentError,
  batchAccuracy,
  Callback,
  DataLoader,
  Generator,
  type Logs,
  Linear,
  manualSeed,
  memory,
  Module,
  randn,
  ShapeError,
  scope,
  Sequential,
  ReLU,
  Sigmoid,
  type StepLogs,
  type Tensor,
  tensor,
  TensorDataset,
  transfers,
  zeros,
  Parameter,
} from '../src/index';
import { TinySGD } from './tiny-sgd';

/** Records the sample ids (column 0 of x) of each training batch. */
class Recorder extends Module {
  weight = new Parameter(zeros([2, 2]));
  batches: number[][] = [];
  forward(x: Tensor): Tensor {
    if (this.training) this.batches.push(Array.from(x.narrow(1, 0, 1).dataSync()));
    return x.matmul(this.weight);
  }
}

const xent = (logits: Tensor, target: Tensor) => logits.logSoftmax(-1).mul(target).sum(-1).neg().mean();

function ids(n: number): { x: Tensor; y: Tensor } {
  return { x: tensor(Array.from({ length: n }, (_, i) => [i, 1])), y: tensor(Array.from({ length: n }, (_, i) => (i % 2 ? [0, 1] : [1, 0]))) };
}

function recorder(): Recorder {
  const m = new Recorder();
  m.compile({ optimizer: new TinySGD(m.parameters(), 0.1), loss: xent });
  return m;
}

/** Host↔device transfers on the CPU backend while `fn` runs. */
async function counted<T>(fn: () => Promise<T>): Promise<[T, { writes: number; reads: number }]> {
  const before = transfers().devices.cpu;
  const result = await fn();
  const after = transfers().devices.cpu;
  return [result, { writes: after.writes - before.writes, reads: after.reads - before.reads }];
}

describe('fit iterates a DataLoader', () => {
  it('the same seed gives the same batches through fit and through a manual DataLoader loop', async () => {
    const { x, y } = ids(11);
    const m = recorder();
    await m.fit(x, y, { epochs: 3, batchSize: 4, seed: 5, verbose: 0 });
    const manual: number[][] = [];
    const loader = new DataLoader(new TensorDataset(x, y), { batchSize: 4, shuffle: true, seed: 5 });
    for (let epoch = 0; epoch < 3; epoch++) {
      for (const [xb, yb] of loader) {
        manual.push(Array.from(xb.narrow(1, 0, 1).dataSync()));
        xb.dispose();
        yb.dispose();
      }
    }
    expect(m.batches).toEqual(manual);
    expect(m.batches.map((b) => b.length)).toEqual([4, 4, 3, 4, 4, 3, 4, 4, 3]);
    expect(
      m.batches
        .slice(0, 3)
        .flat()
        .sort((a, b) => a - b),
    ).toEqual(Array.from({ length: 11 }, (_, i) => i));
    expect(m.batches.slice(0, 3)).not.toEqual(m.batches.slice(3, 6)); // a new order each epoch
    // a generator works the same as its seed, and the global stream is untouched by either
    const g = recorder();
    manualSeed(1);
    await g.fit(x, y, { epochs: 3, batchSize: 4, generator: new Generator({ seed: 5 }), verbose: 0 });
    expect(g.batches).toEqual(manual);
    // without seed or generator the order comes from the global stream: manualSeed reproduces it
    const a = recorder();
    const b = recorder();
    manualSeed(9);
    await a.fit(x, y, { epochs: 2, batchSize: 4, verbose: 0 });
    manualSeed(9);
    await b.fit(x, y, { epochs: 2, batchSize: 4, verbose: 0 });
    expect(a.batches).toEqual(b.batches);
    const ordered = recorder();
    await ordered.fit(x, y, { batchSize: 4, shuffle: false, verbose: 0 });
    expect(ordered.batches).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9, 10],
    ]);
  });

  it('fit takes a DataLoader or a Dataset; the loader owns batching', async () => {
    const { x, y } = ids(10);
    const m = recorder();
    const h = await m.fit(new DataLoader(new TensorDataset(x, y), { batchSize: 3, dropLast: true }), { epochs: 2, verbose: 0 });
    expect(m.batches).toEqual([
      [0, 1, 2],
      [3, 4, 5],
      [6, 7, 8],
      [0, 1, 2],
      [3, 4, 5],
      [6, 7, 8],
    ]);
    expect(h.history.loss).toHaveLength(2);
    const d = recorder();
    await d.fit(new TensorDataset(x, y), { batchSize: 5, shuffle: false, verbose: 0, validationData: new TensorDataset(x, y) });
    expect(d.batches).toEqual([
      [0, 1, 2, 3, 4],
      [5, 6, 7, 8, 9],
    ]);
    const ev = await d.evaluate(new DataLoader(new TensorDataset(x, y), { batchSize: 4 }));
    expect(ev.loss).toBeCloseTo(await d.evaluate(x, y).then((l) => l.loss), 6);
  });

  it('rejects misuse with typed errors', async () => {
    const { x, y } = ids(6);
    const m = recorder();
    const loader = new DataLoader(new TensorDataset(x, y), { batchSize: 2 });
    await expect(m.fit(loader, { batchSize: 4 })).rejects.toThrow(/^fit: 'batchSize' belongs to the DataLoader/);
    await expect(m.fit(loader, { seed: 1 })).rejects.toThrow(ArgumentError);
    await expect(m.fit(loader, { validationSplit: 0.5 })).rejects.toThrow(/^fit: validationSplit needs tensors/);
    await expect(m.fit(x as never)).rejects.toThrow(/^fit: expected targets y \(a Tensor\) after the inputs x, got nothing/);
    await expect(m.fit([x, y] as never)).rejects.toThrow(/^fit: expected tensors \(x, y\), a Dataset or a DataLoader, got object/);
    await expect(m.fit(x, y, { epoch: 2 } as never)).rejects.toThrow(/^fit: unknown option 'epoch'/);
    await expect(m.fit(x, y, { seed: -1 })).rejects.toThrow(/^DataLoader: seed must be a non-negative safe integer, got -1/);
    await expect(m.fit(x, y, { seed: 1, generator: new Generator() })).rejects.toThrow(/^DataLoader: pass seed or generator, not both/);
    await expect(m.fit(x, y, { generator: {} as never })).rejects.toThrow(/^DataLoader: generator must be a Generator/);
    await expect(m.fit(x, y, { validationData: [x] as never })).rejects.toThrow(/^fit: validationData must be/);
    await expect(m.fit(new DataLoader(new TensorDataset(x, y), { batchSize: 8, dropLast: true }))).rejects.toThrow(/^fit: no training batches/);
    await expect(m.evaluate(x, y, { batchsize: 2 } as never)).rejects.toThrow(/^evaluate: unknown option 'batchsize'/);
    expect(() => m.compile({ optimizer: new TinySGD([], 1), loss: xent, metric: ['accuracy'] } as never)).toThrow(/^compile: unknown option 'metric'/);
    const noLoss = new Recorder().compile({});
    await expect(noLoss.fit(x, y)).rejects.toThrow(/^trainStep: the default step needs a loss/);
    await expect(noLoss.fit(new TensorDataset(x), { verbose: 0 })).rejects.toThrow(
      /^trainStep: the default step needs batches \[inputs, targets, …\], got \[Tensor\[6,2\]\]/,
    );
    const noOpt = new Recorder().compile({ loss: xent });
    await expect(noOpt.fit(x, y)).rejects.toThrow(/^trainStep: the default step needs an optimizer/);
  });
});

describe('device-side metrics and one read per step', () => {
  it('batchAccuracy is a 0-d tensor: arg-max, 0.5 threshold, one-hot or rounded float targets', async () => {
    const logits = tensor([
      [0.1, 0.9],
      [0.8, 0.2],
      [0.3, 0.7],
      [0.6, 0.4],
    ]);
    const acc = batchAccuracy(logits, tensor([1, 1, 1, 0], { dtype: 'int32' }));
    expect(acc.shape).toEqual([]);
    expect(await acc.item()).toBe(0.75);
    expect(
      await batchAccuracy(
        logits,
        tensor([
          [0, 1],
          [1, 0],
          [1, 0],
          [1, 0],
        ]),
      ).item(),
    ).toBe(0.75); // one-hot
    expect(await batchAccuracy(logits, tensor([0.6, 0.4, 0.2, -0.2])).item()).toBe(0.75); // rounded: 1, 0, 0, 0
    expect(await batchAccuracy(tensor([[0.7], [0.2], [0.5]]), tensor([1, 1, 1])).item()).toBeCloseTo(2 / 3, 7); // 0.5 counts as 1
    expect(await batchAccuracy(tensor([0.7, 0.2]), tensor([true, false])).item()).toBe(1);
    expect(() => batchAccuracy(logits, tensor([1, 0]))).toThrow(ShapeError);
    expect(() => batchAccuracy(logits, tensor([1, 0]))).toThrow(/^accuracy: predictions and targets must have the same number of rows, got 4 and 2/);
  });

  it("fit's accuracy matches counting hits by hand; the loss and metrics are read once per step, or once per epoch", async () => {
    manualSeed(4);
    const x = randn([24, 2]);
    const y = tensor(
      Array.from(x.dataSync())
        .filter((_, i) => i % 2 === 0)
        .map((v) => (v > 0 ? [0, 1] : [1, 0])),
    );
    const make = () => {
      manualSeed(0);
      const m = new Sequential(new Linear(2, 2));
      m.compile({ optimizer: new TinySGD(m.parameters(), 0.5), loss: xent, metrics: ['accuracy'] });
      return m;
    };
    // by hand: the same model, the same batches (shuffle off), hits counted on the host
    const ref = make();
    const opt = new TinySGD(ref.parameters(), 0.5);
    let hits = 0;
    let lossSum = 0;
    for (let at = 0; at < 24; at += 5) {
      const n = Math.min(5, 24 - at);
      scope(() => {
        const logits = ref.forward(x.narrow(0, at, n));
        const yb = y.narrow(0, at, n);
        const p = logits.dataSync();
        const t = yb.dataSync();
        for (let i = 0; i < n; i++) if ((p[2 * i + 1] > p[2 * i] ? 1 : 0) === (t[2 * i + 1] > t[2 * i] ? 1 : 0)) hits++;
        const loss = xent(logits, yb);
        lossSum += loss.dataSync()[0] * n;
        opt.zeroGrad();
        loss.backward();
        opt.step();
      });
    }
    const [m1, m2, m3] = [make(), make(), make()]; // (initialising weights uploads them)
    const [quiet, quietCount] = await counted(() => m1.fit(x, y, { batchSize: 5, shuffle: false, verbose: 0 }));
    expect(quietCount).toEqual({ writes: 0, reads: 1 }); // 5 steps: loss + accuracy of all of them in one read; batches are views
    expect(quiet.history.accuracy[0]).toBeCloseTo(hits / 24, 6);
    expect(quiet.history.loss[0]).toBeCloseTo(lossSum / 24, 5);
    const seen: Logs[] = [];
    class Watch extends Callback {
      override onBatchEnd(_b: number, logs: Logs) {
        seen.push(logs);
      }
    }
    const [watched, watchedCount] = await counted(() =>
      m2.fit(x, y, { batchSize: 5, shuffle: false, verbose: 0, callbacks: [new Watch()], validationData: [x, y] }),
    );
    expect(watchedCount).toEqual({ writes: 0, reads: 5 + 1 }); // one read per step (loss and accuracy together) + one for validation
    const [, shuffledCount] = await counted(() => m3.fit(x, y, { epochs: 2, batchSize: 5, seed: 1, verbose: 0 }));
    expect(shuffledCount).toEqual({ writes: 2, reads: 2 }); // shuffled: each epoch's order is uploaded once
    expect(seen).toHaveLength(5);
    expect(Object.keys(seen[0])).toEqual(['loss', 'accuracy']);
    expect(watched.history.accuracy[0]).toBe(quiet.history.accuracy[0]);
    expect(watched.history.loss[0]).toBe(quiet.history.loss[0]);
  });

  it('a non-finite loss still names its batch when reads wait for the end of the epoch', async () => {
    const { x, y } = ids(8);
    const m = new Recorder();
    m.compile({ optimizer: new TinySGD(m.parameters(), 0), loss: (p, t) => xent(p, t).mul(p.sum().ge(20).to('float32').mul(Number.POSITIVE_INFINITY).add(1)) });
    await expect(m.fit(x, y, { batchSize: 2, shuffle: false, verbose: 0 })).rejects.toThrow(/^fit: the loss became (NaN|Infinity) at epoch 1, batch \d/);
  });

  it('custom metrics may return a tensor or a number; a Promise is a typed error', async () => {
    const { x, y } = ids(6);
    const m = recorder();
    m.compile({
      optimizer: new TinySGD(m.parameters(), 0.1),
      loss: xent,
      metrics: [
        { name: 'rows', fn: (p) => p.shape[0] },
        { name: 'meanLogit', fn: (p) => p.mean() },
      ],
    });
    const h = await m.fit(x, y, { batchSize: 3, shuffle: false, verbose: 0 });
    expect(h.history.rows).toEqual([3]);
    expect(Number.isFinite(h.history.meanLogit[0])).toBe(true);
    m.compile({ optimizer: new TinySGD(m.parameters(), 0.1), loss: xent, metrics: [{ name: 'slow', fn: async () => 1 } as never] });
    await expect(m.fit(x, y, { verbose: 0 })).rejects.toThrow(/^fit: metric 'slow' returned a Promise/);
  });
});

/** A tiny GAN: the generator maps noise to points, the discriminator tells them from real ones. */
class Gan extends Module {
  generator = new Sequential(new Linear(2, 8), new ReLU(), new Linear(8, 2));
  discriminator = new Sequential(new Linear(2, 8), new ReLU(), new Linear(8, 1), new Sigmoid());
  gOpt = new TinySGD(this.generator.parameters(), 0.05);
  dOpt = new TinySGD(this.discriminator.parameters(), 0.05);
  noise = new Generator({ seed: 11 });
  forward(z: Tensor): Tensor {
    return this.generator.forward(z);
  }
  override trainStep([real]: Tensor[]): StepLogs {
    const n = real.shape[0];
    const bce = (p: Tensor, target: number) =>
      (target === 1
        ? p.add(1e-6).log()
        : p
            .neg()
            .add(1 + 1e-6)
            .log()
      )
        .mean()
        .neg();
    // discriminator: real → 1, fake → 0 (the fake batch is detached: only D learns here)
    const fake = this.generator.forward(randn([n, 2], { generator: this.noise }));
    const dLoss = bce(this.discriminator.forward(real), 1).add(bce(this.discriminator.forward(fake.detach()), 0));
    this.dOpt.zeroGrad();
    dLoss.backward();
    this.dOpt.step();
    // generator: make D say 1 on fakes (only G steps; D's gradients are cleared next time)
    const gLoss = bce(this.discriminator.forward(this.generator.forward(randn([n, 2], { generator: this.noise }))), 1);
    this.gOpt.zeroGrad();
    gLoss.backward();
    this.gOpt.step();
    this.discriminator.zeroGrad();
    return { dLoss: dLoss.detach(), gLoss: gLoss.detach(), batch: n };
  }
}

describe('an overridden trainStep runs through fit', () => {
  it('a tiny GAN step (two nets, two optimizers): custom logs in history, callbacks and bar; both nets change', async () => {
    manualSeed(2);
    const real = randn([32, 2])
      .mul(0.5)
      .add(tensor([2, -1]));
    const gan = new Gan().compile();
    const snapshot = (m: Module) => m.parameters().map((p) => Array.from(p.dataSync()));
    const g0 = snapshot(gan.generator);
    const d0 = snapshot(gan.discriminator);
    const batchLogs: Logs[] = [];
    class Watch extends Callback {
      override onBatchEnd(_b: number, logs: Logs) {
        batchLogs.push(logs);
      }
    }
    let out = '';
    const h = await gan.fit(new TensorDataset(real), {
      epochs: 3,
      batchSize: 8,
      seed: 0,
      callbacks: [new Watch()],
      stream: {
        isTTY: true,
        columns: 120,
        write: (s: string) => {
          out += s;
        },
      },
    });
    expect(Object.keys(h.history)).toEqual(['dLoss', 'gLoss', 'batch']);
    expect(h.epoch).toEqual([0, 1, 2]);
    expect(h.history.batch).toEqual([8, 8, 8]);
    for (const v of [...h.history.dLoss, ...h.history.gLoss]) {
      expect(Number.isFinite(v)).toBe(true);
      expect(v).toBeGreaterThan(0);
    }
    expect(h.history.dLoss[0]).toBeGreaterThan(0.5); // ≈ 2·ln 2 for an untrained discriminator
    expect(h.history.dLoss[0]).toBeLessThan(3);
    expect(batchLogs).toHaveLength(12);
    const mean = batchLogs.slice(0, 4).reduce((a, l) => a + l.dLoss, 0) / 4;
    expect(h.history.dLoss[0]).toBeCloseTo(mean, 6);
    expect(out).toMatch(/4\/4 \[=+\] .*dLoss \d\.\d{4} · gLoss \d\.\d{4} · batch 8\.0000/);
    const changed = (before: number[][], after: number[][]) => before.some((b, i) => b.some((v, j) => v !== after[i][j]));
    expect(changed(g0, snapshot(gan.generator))).toBe(true);
    expect(changed(d0, snapshot(gan.discriminator))).toBe(true);
  });

  it('an overridden testStep drives evaluate and validation; steps must return named scalars', async () => {
    const { x, y } = ids(6);
    class Scored extends Recorder {
      override testStep([xb, yb]: Tensor[]): StepLogs {
        return { mae: this.forward(xb).sub(yb).abs().mean(), rows: xb.shape[0] };
      }
    }
    const m = new Scored();
    m.compile({ optimizer: new TinySGD(m.parameters(), 0), loss: xent });
    const ev = await m.evaluate(x, y, { batchSize: 4 });
    expect(ev).toEqual({ mae: 0.5, rows: (4 * 4 + 2 * 2) / 6 }); // zero weights: |0 − y| = 0.5 on average
    const h = await m.fit(x, y, { verbose: 0, validationData: [x, y] });
    expect(Object.keys(h.history)).toEqual(['loss', 'val_mae', 'val_rows']);
    class Bad extends Recorder {
      override trainStep([xb]: Tensor[]): StepLogs {
        return { out: this.forward(xb) };
      }
    }
    const bad = new Bad().compile();
    await expect(bad.fit(x, y, { verbose: 0 })).rejects.toThrow(/^trainStep: log 'out' must have one element, got shape \[6,2\]/);
    class Worse extends Recorder {
      override trainStep(): StepLogs {
        return 3 as never;
      }
    }
    await expect(new Worse().compile().fit(x, y, { verbose: 0 })).rejects.toThrow(/^trainStep: must return an object of named values/);
  });

  it('fit with custom or default steps leaves no tensors behind', async () => {
    manualSeed(3);
    const real = randn([16, 2]);
    const gan = new Gan().compile();
    await gan.fit(new TensorDataset(real), { batchSize: 8, verbose: 0 });
    const before = memory();
    await gan.fit(new TensorDataset(real), { epochs: 2, batchSize: 8, verbose: 0 });
    await gan.fit(new DataLoader(new TensorDataset(real), { batchSize: 5, shuffle: true, seed: 1 }), { verbose: 0 });
    expect(memory().tensors).toBe(before.tensors);
    expect(memory().bytes).toBe(before.bytes);
    const { x, y } = ids(9);
    const m = recorder();
    await m.fit(x, y, { verbose: 0 });
    m.zeroGrad();
    const before2 = memory();
    await expect(
      m.fit(x, y, {
        verbose: 0,
        callbacks: [
          new (class extends Callback {
            override onBatchEnd() {
              throw new Error('stop');
            }
          })(),
        ],
      }),
    ).rejects.toThrow('stop');
    await m.fit(x, y, { epochs: 2, batchSize: 4, validationSplit: 0.3, verbose: 0 });
    await m.evaluate(x, y, { batchSize: 2 });
    m.zeroGrad();
    expect(memory().tensors).toBe(before2.tensors);
    expect(memory().bytes).toBe(before2.bytes);
  });
});
