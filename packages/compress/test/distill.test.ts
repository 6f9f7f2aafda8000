import { describe, expect, it } from 'vitest';
import {
  ArgumentError,
  crossEntropy,
  Linear,
  memory,
  type Module,
  ReLU,
  randint,
  randn,
  Sequential,
  ShapeError,
  scope,
  type Tensor,
  tensor,
  manualSeed,
} from '@aimodel/nn';
import { Adam, SGD } from '@aimodel/optim';
import { hasWebGpu } from '../../nn/test/webgpu-available';
import { Distiller, distillationLoss } from '../src/distill';

const WEBGPU = await hasWebGpu();

// Reference: the loss of Hinton et al. (2015) in float64, from its definition
//   L = α·T²·(1/N)Σₙ Σ_c pₙc·(log pₙc − log qₙc) + (1 − α)·(1/N)Σₙ −log softmax(sₙ)_yₙ
// with p = softmax(t/T), q = softmax(s/T), and its gradient
//   ∂L/∂s = α·T·(q − p)/N + (1 − α)·(softmax(s) − onehot(y))/N.

const softmax = (row: number[], T = 1): number[] => {
  const z = row.map((v) => v / T);
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};

function reference(s: number[][], t: number[][], y: number[] | null, T: number, alpha: number) {
  const N = s.length;
  let kl = 0;
  let ce = 0;
  const grad = s.map((row, n) => {
    const q = softmax(row, T);
    const p = softmax(t[n], T);
    kl += p.reduce((acc, pc, c) => acc + pc * (Math.log(pc) - Math.log(q[c])), 0);
    const sm = softmax(row);
    if (y) ce -= Math.log(sm[y[n]]);
    return row.map((_, c) => (alpha * T * (q[c] - p[c])) / N + (y ? ((1 - alpha) * (sm[c] - (c === y[n] ? 1 : 0))) / N : 0));
  });
  return { loss: alpha * T * T * (kl / N) + (1 - alpha) * (ce / N), grad };
}

const S = [
  [1, 2, 0.5],
  [0, -1, 3],
  [0.3, 0.3, -2],
];
const Tt = [
  [2, 1, 0],
  [0.5, 0.5, 2],
  [-1, 4, 0],
];
const Y = [1, 2, 0];

function close(actual: ArrayLike<number>, expected: number[], tol: number, what: string) {
  expect(actual.length, what).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(Math.abs(actual[i] - expected[i]), `${what}[${i}]: ${actual[i]} vs ${expected[i]}`).toBeLessThan(tol);
}

describe('distillationLoss', () => {
  for (const [T, alpha] of [
    [2, 0.7],
    [1, 0.5],
    [4, 1],
    [3, 0],
    [0.5, 0.25],
  ]) {
    it(`T = ${T}, α = ${alpha}: value and gradient match the definition; the teacher gets no gradient`, async () => {
      const before = memory().tensors;
      const s = tensor(S, { requiresGrad: true });
      const t = tensor(Tt, { requiresGrad: true });
      const y = tensor(Y, { dtype: 'int32' });
      const ref = reference(S, Tt, Y, T, alpha);
      const loss = distillationLoss(s, t, y, { temperature: T, alpha });
      expect(loss.shape).toEqual([]);
      close(await loss.data(), [ref.loss], 1e-5 * Math.max(1, ref.loss), 'loss');
      loss.backward();
      close(await (s.grad as Tensor).data(), ref.grad.flat(), 1e-6, 'grad');
      expect(t.grad).toBeNull();
      for (const x of [loss, s, t, y, s.grad as Tensor]) x.dispose();
      expect(memory().tensors).toBe(before);
    });
  }

  it('a hand-computed case: two classes, T = 1, α = 1 is KL(p ‖ q) = 0.5·ln 2 + 0.5·ln(2/3)·… ', async () => {
    // s = [0, ln 3] → q = [¼, ¾]; t = [0, 0] → p = [½, ½]; KL = ½ ln(½/¼) + ½ ln(½/¾) = ½ ln(4/3)
    const loss = distillationLoss(tensor([[0, Math.log(3)]]), tensor([[0, 0]]), null, { temperature: 1, alpha: 1 });
    close(await loss.data(), [0.5 * Math.log(4 / 3)], 1e-6, 'KL');
  });

  it('identical logits leave only the hard term; α = 0 is cross-entropy', async () => {
    const s = tensor(S);
    const ce = await crossEntropy(s, tensor(Y, { dtype: 'int32' })).item();
    close(await distillationLoss(s, tensor(S), tensor(Y, { dtype: 'int32' }), { temperature: 3, alpha: 0.6 }).data(), [0.4 * ce], 1e-6, 'same logits');
    close(await distillationLoss(s, tensor(Tt), tensor(Y, { dtype: 'int32' }), { alpha: 0 }).data(), [ce], 1e-6, 'alpha 0');
  });

  it('finite differences agree with the gradient (central, h = 1e-2, float32)', async () => {
    const T = 2;
    const alpha = 0.7;
    const f = (m: number[][]) => reference(m, Tt, Y, T, alpha).loss;
    const s = tensor(S, { requiresGrad: true });
    distillationLoss(s, tensor(Tt), tensor(Y, { dtype: 'int32' }), { temperature: T, alpha }).backward();
    const g = Array.from(await (s.grad as Tensor).data());
    const h = 1e-2;
    for (let n = 0; n < 3; n++) {
      for (let c = 0; c < 3; c++) {
        const plus = S.map((r) => [...r]);
        const minus = S.map((r) => [...r]);
        plus[n][c] += h;
        minus[n][c] -= h;
        const lp = await distillationLoss(tensor(plus), tensor(Tt), tensor(Y, { dtype: 'int32' }), { temperature: T, alpha }).item();
        const lm = await distillationLoss(tensor(minus), tensor(Tt), tensor(Y, { dtype: 'int32' }), { temperature: T, alpha }).item();
        expect(Math.abs((lp - lm) / (2 * h) - g[n * 3 + c])).toBeLessThan(2e-3);
        expect(Math.abs((f(plus) - f(minus)) / (2 * h) - g[n * 3 + c])).toBeLessThan(1e-4);
      }
    }
  });

  it.skipIf(!WEBGPU)('on WebGPU: the same value and gradient as the definition', async () => {
    const s = tensor(S, { requiresGrad: true, device: 'webgpu' });
    const ref = reference(S, Tt, Y, 2, 0.7);
    const loss = distillationLoss(s, tensor(Tt, { device: 'webgpu' }), tensor(Y, { dtype: 'int32', device: 'webgpu' }), { temperature: 2, alpha: 0.7 });
    close(await loss.data(), [ref.loss], 1e-5, 'loss');
    loss.backward();
    close(await (s.grad as Tensor).data(), ref.grad.flat(), 1e-6, 'grad');
  });

  it('errors: shapes, options, missing target', () => {
    const s = tensor(S);
    expect(() => distillationLoss(s, tensor([[1, 2]]), tensor(Y, { dtype: 'int32' }))).toThrow(ShapeError);
    expect(() => distillationLoss(s, tensor([[1, 2]]), tensor(Y, { dtype: 'int32' }))).toThrow(
      /distillationLoss: expected student and teacher logits of the same shape \[N, C\], got \[3,3\] and \[1,2\]/,
    );
    expect(() => distillationLoss(s, tensor(Tt), tensor(Y, { dtype: 'int32' }), { temperature: 0 })).toThrow(/invalid temperature 0/);
    expect(() => distillationLoss(s, tensor(Tt), tensor(Y, { dtype: 'int32' }), { alpha: 1.5 })).toThrow(/invalid alpha 1.5 \(expected \[0, 1\]\)/);
    expect(() => distillationLoss(s, tensor(Tt), tensor(Y, { dtype: 'int32' }), { T: 2 } as never)).toThrow(/distillationLoss: unknown option 'T'/);
    expect(() => distillationLoss(s, tensor(Tt), null, { alpha: 0.5 })).toThrow(ArgumentError);
  });
});

/** A tiny 3-class problem: class = argmax of the first three inputs. */
function problem(n: number) {
  const x = randn([n, 4]);
  const y = x.narrow(1, 0, 3).argmax(1);
  return { x, y };
}

async function snapshot(m: Module): Promise<number[][]> {
  return Promise.all(m.parameters().map(async (p) => Array.from(await p.data())));
}

describe('Distiller', () => {
  it('fit lowers the loss, logs the terms, and never changes the teacher', async () => {
    manualSeed(0);
    const { x, y } = problem(128);
    const teacher = new Sequential(new Linear(4, 32), new ReLU(), new Linear(32, 3));
    teacher.compile({ optimizer: new Adam(teacher.parameters(), { lr: 1e-2 }), loss: crossEntropy });
    await teacher.fit(x, y, { epochs: 15, batchSize: 32, verbose: 0, seed: 0 });
    for (const p of teacher.parameters()) {
      p.grad?.dispose();
      p.grad = null; // from its own training
    }
    const before = await snapshot(teacher);
    const student = new Sequential(new Linear(4, 6), new ReLU(), new Linear(6, 3));
    const distiller = new Distiller(student, teacher, { temperature: 2, alpha: 0.5 });
    expect(distiller.parameters().length).toBe(4); // the student's only
    expect(Object.keys(distiller.stateDict())).toEqual(['student.0.weight', 'student.0.bias', 'student.2.weight', 'student.2.bias']);
    distiller.compile({ optimizer: new Adam(distiller.parameters(), { lr: 2e-2 }), loss: crossEntropy, metrics: ['accuracy'] });
    const h = await distiller.fit(x, y, { epochs: 8, batchSize: 32, verbose: 0, seed: 1, validationSplit: 0.25 });
    const { loss, distillationLoss: dl, studentLoss, accuracy } = h.history;
    expect(loss.length).toBe(8);
    expect(loss[7]).toBeLessThan(0.7 * loss[0]);
    expect(dl[7]).toBeLessThan(dl[0]);
    loss.forEach((v, i) => expect(v).toBeCloseTo(dl[i] + studentLoss[i], 5));
    expect(accuracy[7]).toBeGreaterThan(accuracy[0]);
    expect(h.history.val_accuracy.length).toBe(8);
    expect(await snapshot(teacher)).toEqual(before);
    expect(teacher.training).toBe(false);
    for (const p of teacher.parameters()) expect(p.grad).toBeNull();
    const logits = distiller.predict(x.narrow(0, 0, 4));
    expect(logits.shape).toEqual([4, 3]);
  });

  it('hint distillation trains the Linear projection towards the teacher features', async () => {
    manualSeed(1);
    const { x, y } = problem(64);
    const teacher = new Sequential(new Linear(4, 16), new ReLU(), new Linear(16, 3));
    const before = await snapshot(teacher);
    const student = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 3));
    const distiller = new Distiller(student, teacher, {
      alpha: 0.9,
      hint: { student: student.at(1), teacher: teacher.at(1), studentFeatures: 8, teacherFeatures: 16, weight: 1 },
    });
    expect(distiller.projection).toBeInstanceOf(Linear);
    expect(distiller.parameters().length).toBe(6); // student 4 + projection 2
    const projW = Array.from(await (distiller.projection as Linear).weight.data());
    distiller.compile({ optimizer: new Adam(distiller.parameters(), { lr: 2e-2 }) });
    const h = await distiller.fit(x, y, { epochs: 10, batchSize: 16, verbose: 0, seed: 0 });
    expect(h.history.hintLoss[9]).toBeLessThan(0.5 * h.history.hintLoss[0]);
    expect(Array.from(await (distiller.projection as Linear).weight.data())).not.toEqual(projW);
    expect(await snapshot(teacher)).toEqual(before);
  });

  it('one trainStep by hand: the logged terms are the loss function’s; SGD moves the student by −lr·∇', async () => {
    manualSeed(2);
    const student = new Linear(3, 3);
    const teacher = new Linear(3, 3);
    const x = randn([5, 3]);
    const y = randint(0, 3, [5]);
    const w0 = Array.from(await student.weight.data());
    const tLogits = teacher.forward(x);
    const s = student.weight.detach().clone();
    const sb = (student.bias as Tensor).detach().clone();
    const ref = scope(() => {
      const w = s.clone();
      w.requiresGrad = true;
      const l = distillationLoss(x.matmul(w.transpose(0, 1)).add(sb), tLogits, y, { temperature: 3, alpha: 0.6 });
      l.backward();
      return [l.detach(), (w.grad as Tensor).clone()];
    });
    const distiller = new Distiller(student, teacher, { temperature: 3, alpha: 0.6 });
    distiller.compile({ optimizer: new SGD(distiller.parameters(), { lr: 0.5 }) });
    const logs = distiller.trainStep([x, y]);
    close(await (logs.loss as Tensor).data(), Array.from(await ref[0].data()), 1e-5, 'loss');
    const g = Array.from(await ref[1].data());
    close(
      await student.weight.data(),
      w0.map((v, i) => v - 0.5 * g[i]),
      1e-5,
      'weight after the step',
    );
  });

  it('errors: names as optimizer, a hint layer outside the model, unknown options, no compile', () => {
    const student = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 3));
    const teacher = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 3));
    const d = new Distiller(student, teacher);
    expect(() => d.compile({ optimizer: 'adam' })).toThrow(/Distiller.compile: pass an optimizer object/);
    expect(() => d.trainStep([randn([2, 4]), tensor([0, 1])])).toThrow(/call distiller.compile/);
    expect(() => new Distiller(student, teacher, { hint: { student: teacher.at(1), teacher: teacher.at(1), studentFeatures: 8, teacherFeatures: 8 } })).toThrow(
      /hint.student must be a module of the student/,
    );
    expect(() => new Distiller(student, teacher, { hint: { student: student.at(1), teacher: teacher.at(1) } })).toThrow(
      /give hint.studentFeatures and hint.teacherFeatures/,
    );
    expect(() => new Distiller(student, teacher, { temp: 2 } as never)).toThrow(/Distiller: unknown option 'temp'/);
    expect(() => new Distiller(student, teacher, { hint: { student: student.at(1), teacher: teacher.at(1), size: 3 } as never })).toThrow(
      /unknown option 'size'/,
    );
    expect(() => new Distiller(student, student)).toThrow(ArgumentError);
  });
});
