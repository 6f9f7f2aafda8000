import { ArgumentError, cat, noGrad, scope, ShapeError, Tensor } from '@aimodel/tensor';
import type { Module } from '../module';
import type { Logs } from './callbacks';
import type { Compiled } from './compile';

/**
 * What a train or test step returns: named values of the batch, each a one-element tensor (fit
 * reads them all together, once) or a number. `fit` averages them over the epoch, weighted by
 * batch size, and hands them to callbacks, the progress bar and the history.
 * @example
 * ```ts
 * const logs: StepLogs = { loss: tensor(0.5), lr: 0.01 };
 * ```
 */
export type StepLogs = Record<string, Tensor | number>;

/** Inputs and targets of a supervised batch `[x, y, …]`. */
function inputsAndTargets(op: string, batch: readonly Tensor[]): [Tensor, Tensor] {
  if (!Array.isArray(batch) || batch.length < 2 || !(batch[0] instanceof Tensor) || !(batch[1] instanceof Tensor)) {
    throw new ArgumentError(op, `the default step needs batches [inputs, targets, …], got ${describe(batch)}; override ${op} for other data`);
  }
  return [batch[0], batch[1]];
}

function describe(batch: unknown): string {
  if (!Array.isArray(batch)) return typeof batch;
  return `[${batch.map((b) => (b instanceof Tensor ? `Tensor[${b.shape.join(',')}]` : typeof b)).join(', ')}]`;
}

/** The compiled loss, or a typed error naming what to do. */
function lossOf(op: string, c: Compiled): NonNullable<Compiled['loss']> {
  if (!c.loss) throw new ArgumentError(op, 'the default step needs a loss: call model.compile({ optimizer, loss }), or override trainStep/testStep');
  return c.loss;
}

/**
 * @internal Prefix of the log holding a metric's batch weight (`fit` weights the metric's batch
 * values by it instead of by the batch size, and hides it from callbacks and the history).
 */
export const WEIGHT_KEY = '\u0000weight:';

/** Metric values of a batch, on the device (tensors) or as numbers, computed without gradients. */
function metricLogs(c: Compiled, prediction: Tensor, target: Tensor, logs: StepLogs): void {
  noGrad(() => {
    for (const m of c.metrics) {
      if (m.weight) logs[WEIGHT_KEY + m.name] = m.weight(prediction, target);
      const v = m.fn(prediction, target) as unknown;
      if (!(v instanceof Tensor) && typeof v !== 'number') {
        const got = v && typeof (v as { then?: unknown }).then === 'function' ? 'a Promise' : typeof v;
        throw new ArgumentError('fit', `metric '${m.name}' returned ${got}; return a one-element tensor (read together with the loss) or a number`);
      }
      logs[m.name] = v;
    }
  });
}

/**
 * The default {@link Module.trainStep}: forward, loss, backward, optimizer step, metrics on the
 * predictions made before the step. Nothing is read back here: the loss and metrics stay on the
 * device for `fit` to read in one go.
 */
export function defaultTrainStep(model: Module, c: Compiled, batch: Tensor[]): StepLogs {
  const [x, y] = inputsAndTargets('trainStep', batch);
  const loss = lossOf('trainStep', c);
  if (!c.optimizer) throw new ArgumentError('trainStep', 'the default step needs an optimizer: call model.compile({ optimizer, loss }), or override trainStep');
  const prediction = model.call(x) as Tensor;
  const value = loss(prediction, y);
  c.optimizer.zeroGrad();
  value.backward();
  c.optimizer.step();
  const logs: StepLogs = { loss: value.detach() };
  metricLogs(c, prediction.detach(), y, logs);
  return logs;
}

/** The default {@link Module.testStep}: forward, loss and metrics, without gradients. */
export function defaultTestStep(model: Module, c: Compiled, batch: Tensor[]): StepLogs {
  const [x, y] = inputsAndTargets('testStep', batch);
  const loss = lossOf('testStep', c);
  return noGrad(() => {
    const prediction = model.call(x) as Tensor;
    const logs: StepLogs = { loss: loss(prediction, y) };
    metricLogs(c, prediction, y, logs);
    return logs;
  });
}

/**
 * Run a step inside a scope: its temporaries are freed, the tensors it returns are kept; checks
 * that it returned named one-element tensors or numbers.
 */
export function runStep(op: 'trainStep' | 'testStep', step: () => StepLogs): StepLogs {
  const logs = scope(step);
  if (!logs || typeof logs !== 'object' || Array.isArray(logs) || logs instanceof Tensor) {
    throw new ArgumentError(op, `must return an object of named values ({ loss: tensor, … }), got ${logs instanceof Tensor ? 'a Tensor' : typeof logs}`);
  }
  for (const [k, v] of Object.entries(logs)) {
    if (v instanceof Tensor) {
      if (v.numel() !== 1) {
        disposeLogs(logs);
        throw new ShapeError(op, `log '${k}' must have one element, got shape [${v.shape.join(',')}]`);
      }
    } else if (typeof v !== 'number') {
      disposeLogs(logs);
      throw new ArgumentError(op, `log '${k}' must be a one-element tensor or a number, got ${typeof v}`);
    }
  }
  return logs;
}

export function disposeLogs(logs: StepLogs): void {
  for (const v of Object.values(logs)) if (v instanceof Tensor) v.dispose();
}

/**
 * A step's tensor logs gathered into one float32 vector per device (one dispatch), so that the
 * step costs one read per device however many values it logs. Disposes the step's tensors.
 */
export interface PendingLogs {
  keys: string[];
  numbers: (number | null)[];
  /** Per device: the vector and, for each element, its index into `keys`. */
  parts: { values: Tensor; at: number[] }[];
}

export function gatherLogs(logs: StepLogs): PendingLogs {
  const keys = Object.keys(logs);
  const numbers: (number | null)[] = [];
  const byDevice = new Map<string, { tensors: Tensor[]; at: number[] }>();
  keys.forEach((k, i) => {
    const v = logs[k];
    if (v instanceof Tensor) {
      const d = byDevice.get(v.device) ?? { tensors: [], at: [] };
      d.tensors.push(v);
      d.at.push(i);
      byDevice.set(v.device, d);
      numbers.push(null);
    } else {
      numbers.push(v);
    }
  });
  try {
    const parts = [...byDevice.values()].map(({ tensors, at }) => ({
      values: noGrad(() =>
        scope(() => {
          const flat = tensors.map((t) => (t.dtype === 'float32' ? t : t.to('float32')).reshape([1]));
          return flat.length === 1 ? flat[0] : cat(flat, 0); // a lone value is read as it is (a view)
        }),
      ),
      at,
    }));
    return { keys, numbers, parts };
  } finally {
    disposeLogs(logs);
  }
}

/**
 * Read the logs of one or more steps back: one `data()` per device for all of them (the parts of
 * each device are concatenated first when there are several), then free them.
 */
export async function readLogs(pending: readonly PendingLogs[]): Promise<Logs[]> {
  const out = pending.map((p) => [...p.numbers]);
  try {
    const byDevice = new Map<string, { step: number; at: number[]; values: Tensor }[]>();
    pending.forEach((p, step) => {
      for (const part of p.parts) {
        const list = byDevice.get(part.values.device) ?? [];
        list.push({ step, at: part.at, values: part.values });
        byDevice.set(part.values.device, list);
      }
    });
    for (const list of byDevice.values()) {
      const all =
        list.length === 1
          ? list[0].values
          : noGrad(() =>
              cat(
                list.map((l) => l.values),
                0,
              ),
            );
      let data: ArrayLike<number>;
      try {
        data = await all.data();
      } finally {
        if (all !== list[0].values) all.dispose();
      }
      let j = 0;
      for (const { step, at } of list) for (const i of at) out[step][i] = data[j++];
    }
  } finally {
    for (const p of pending) disposePending(p);
  }
  return pending.map((p, step) => Object.fromEntries(p.keys.map((k, i) => [k, out[step][i] as number])));
}

export function disposePending(pending: PendingLogs): void {
  for (const p of pending.parts) p.values.dispose();
}
