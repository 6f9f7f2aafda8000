import { describe, expect, it } from 'vitest';
import { ArgumentError, DTypeError, memory, scope, type Tensor, tensor, zeros } from '@aimodel/tensor';
import { Adagrad, Adam, AdamW, LBFGS, type Optimizer, RMSprop, SGD } from '../src/index';
import { quadraticLoss, THETA0 } from './helpers';

const leaf = (values: number[] = THETA0): Tensor => tensor(values, { requiresGrad: true });

function backward(...ps: Tensor[]): void {
  ps.map((p) => quadraticLoss(p))
    .reduce((a, b) => a.add(b))
    .backward();
}

describe('construction and parameter groups', () => {
  it('a list of tensors makes one group with the defaults', () => {
    const p = leaf();
    const opt = new SGD([p], { lr: 0.1, momentum: 0.9 });
    expect(opt.paramGroups).toHaveLength(1);
    const { params, ...options } = opt.paramGroups[0];
    expect(params).toEqual([p]);
    expect(options).toEqual({ lr: 0.1, momentum: 0.9, dampening: 0, weightDecay: 0, nesterov: false, maximize: false });
    expect(opt.defaults.lr).toBe(0.1);
  });

  it('accepts any iterable (a generator, a Set) and a single tensor as a group params', () => {
    const a = leaf();
    const b = leaf();
    function* gen() {
      yield a;
      yield b;
    }
    expect(new Adam(gen()).paramGroups[0].params).toEqual([a, b]);
    expect(new Adam(new Set([a])).paramGroups[0].params).toEqual([a]);
    expect(new Adam([{ params: b }]).paramGroups[0].params).toEqual([b]);
  });

  it('per-group options override the defaults; groups do not share arrays', () => {
    const a = leaf();
    const b = leaf();
    const opt = new Adam([{ params: [a] }, { params: [b], lr: 0.5, betas: [0.5, 0.6] }], { lr: 0.01, eps: 1e-6 });
    expect(opt.paramGroups[0]).toMatchObject({ lr: 0.01, betas: [0.9, 0.999], eps: 1e-6 });
    expect(opt.paramGroups[1]).toMatchObject({ lr: 0.5, betas: [0.5, 0.6], eps: 1e-6 });
    opt.paramGroups[0].betas[0] = 0.1;
    expect(opt.defaults.betas[0]).toBe(0.9);
  });

  it('addParamGroup adds a group (defaults fill in) and its parameters are updated', () => {
    const a = leaf();
    const b = leaf();
    const opt = new SGD([a], { lr: 0.1 });
    opt.addParamGroup({ params: [b], lr: 0.2 });
    expect(opt.paramGroups[1]).toMatchObject({ lr: 0.2, momentum: 0 });
    backward(a, b);
    opt.step();
    // ∇ at θ0 = a ⊙ (θ0 − c) = [-0.5, 4.6, -1.85]; θ ← θ − lr·∇
    const g = [-0.5, 4.6, -1.85];
    expect(Array.from(b.dataSync())).toEqual(THETA0.map((t, i) => Math.fround(Math.fround(t) - Math.fround(Math.fround(0.2) * Math.fround(g[i])))));
  });

  it('rejects bad parameter lists with typed errors', () => {
    const p = leaf();
    expect(() => new SGD([])).toThrow(ArgumentError);
    expect(() => new SGD([])).toThrow('SGD: optimizer got an empty parameter list');
    expect(() => new Adam([])).toThrow('Adam: optimizer got an empty parameter list');
    expect(() => new SGD(p as unknown as Tensor[])).toThrow('SGD: params must be an iterable of tensors or of parameter groups, got a single tensor');
    expect(() => new SGD([tensor([1, 2], { dtype: 'int32' })])).toThrow(DTypeError);
    expect(() => new SGD([tensor([1, 2], { dtype: 'int32' })])).toThrow('SGD: can only optimize float32 tensors, got int32');
    expect(() => new SGD([p.mul(2)])).toThrow("SGD: can't optimize a non-leaf tensor");
    expect(() => new SGD([p, p])).toThrow('SGD: a parameter group contains the same parameter twice');
    expect(() => new SGD([{ params: [p] }, { params: [p] }])).toThrow('SGD: some parameters appear in more than one parameter group');
    expect(() => new SGD([p, 3] as unknown as Tensor[])).toThrow('SGD: params must contain tensors, got number at index 1');
    const opt = new SGD([p]);
    expect(() => opt.addParamGroup({ params: [p] })).toThrow('some parameters appear in more than one parameter group');
    expect(() => opt.addParamGroup(leaf() as never)).toThrow('a parameter group must be an object with a params field');
  });
});

describe('hyper-parameter validation', () => {
  const p = leaf();
  const cases: Array<[() => unknown, string]> = [
    [() => new SGD([p], { lr: -1 }), 'SGD: invalid learning rate -1 (expected >= 0)'],
    [() => new SGD([p], { lr: Number.NaN }), 'SGD: invalid learning rate NaN (expected >= 0)'],
    [() => new SGD([p], { momentum: -0.5 }), 'SGD: invalid momentum -0.5 (expected >= 0)'],
    [() => new SGD([p], { weightDecay: -1e-4 }), 'SGD: invalid weightDecay -0.0001 (expected >= 0)'],
    [() => new SGD([p], { dampening: -1 }), 'SGD: invalid dampening -1 (expected >= 0)'],
    [() => new SGD([p], { nesterov: true }), 'SGD: nesterov momentum requires momentum > 0 and dampening 0, got momentum 0 and dampening 0'],
    [() => new SGD([p], { nesterov: true, momentum: 0.9, dampening: 0.1 }), 'SGD: nesterov momentum requires momentum > 0 and dampening 0'],
    [() => new SGD([p], { lr: '0.1' as unknown as number }), "SGD: invalid learning rate '0.1' (expected >= 0)"],
    [
      () => new SGD([p], { weight_decay: 0.1 } as never),
      "SGD: unknown option 'weight_decay' (did you mean 'weightDecay'?) (expected lr, momentum, dampening, weightDecay, nesterov, maximize)",
    ],
    [() => new SGD([{ params: [p], lr: -0.1 }], { lr: 0.1 }), 'SGD: invalid learning rate -0.1 (expected >= 0)'],
    [() => new Adam([p], { lr: -1 }), 'Adam: invalid learning rate -1 (expected >= 0)'],
    [() => new Adam([p], { betas: [1, 0.999] }), 'Adam: invalid beta1 1 (expected [0, 1))'],
    [() => new Adam([p], { betas: [0.9, -0.1] }), 'Adam: invalid beta2 -0.1 (expected [0, 1))'],
    [() => new Adam([p], { betas: [0.9] as unknown as [number, number] }), 'Adam: invalid betas 0.9 (expected [beta1, beta2])'],
    [() => new Adam([p], { eps: -1e-8 }), 'Adam: invalid eps -1e-8 (expected >= 0)'],
    [() => new Adam([p], { weightDecay: -1 }), 'Adam: invalid weightDecay -1 (expected >= 0)'],
    [() => new Adam([{ params: [p], betas: [0.9, 1] }]), 'Adam: invalid beta2 1 (expected [0, 1))'],
    [() => new AdamW([p], { betas: [-0.1, 0.9] }), 'AdamW: invalid beta1 -0.1 (expected [0, 1))'],
    [() => new AdamW([p], { weightDecay: -0.01 }), 'AdamW: invalid weightDecay -0.01 (expected >= 0)'],
    [() => new RMSprop([p], { alpha: -0.9 }), 'RMSprop: invalid alpha -0.9 (expected >= 0)'],
    [() => new RMSprop([p], { eps: -1 }), 'RMSprop: invalid eps -1 (expected >= 0)'],
    [() => new RMSprop([p], { momentum: -1 }), 'RMSprop: invalid momentum -1 (expected >= 0)'],
    [() => new Adagrad([p], { lrDecay: -1 }), 'Adagrad: invalid lrDecay -1 (expected >= 0)'],
    [() => new Adagrad([p], { initialAccumulatorValue: -1 }), 'Adagrad: invalid initialAccumulatorValue -1 (expected >= 0)'],
    [() => new Adagrad([p], { eps: -1 }), 'Adagrad: invalid eps -1 (expected >= 0)'],
  ];
  for (const [make, message] of cases) {
    it(message, () => {
      expect(make).toThrow(ArgumentError);
      expect(make).toThrow(message);
    });
  }
});

describe('zeroGrad and step', () => {
  it('zeroGrad() disposes the gradients and sets them to null', () => {
    const p = leaf();
    const opt = new SGD([p]);
    backward(p);
    const g = p.grad!;
    opt.zeroGrad();
    expect(p.grad).toBeNull();
    expect(g.isDisposed).toBe(true);
    opt.zeroGrad(); // no gradients: nothing to do
  });

  it('zeroGrad({ setToNone: false }) keeps the tensors, filled with zeros', () => {
    const p = leaf();
    const opt = new SGD([p]);
    backward(p);
    const g = p.grad!;
    opt.zeroGrad({ setToNone: false });
    expect(p.grad).toBe(g);
    expect(Array.from(g.dataSync())).toEqual([0, 0, 0]);
  });

  it('step() skips parameters without a gradient and creates no state for them', () => {
    const a = leaf();
    const b = leaf([1, 2, 3]);
    const opt = new Adam([a, b], { lr: 0.1 });
    backward(a);
    opt.step();
    expect(Array.from(b.dataSync())).toEqual([1, 2, 3]);
    expect(opt.state.has(b)).toBe(false);
    expect(opt.state.get(a)?.step).toBe(1);
    expect(Array.from(a.dataSync())).not.toEqual(Array.from(tensor(THETA0).dataSync()));
  });

  it('step() updates in place, outside autograd: same tensor, still a leaf that requires grad', () => {
    const p = leaf();
    const opt = new SGD([p], { lr: 0.1, momentum: 0.9 });
    backward(p);
    opt.step();
    expect(p.isLeaf).toBe(true);
    expect(p.requiresGrad).toBe(true);
    expect(opt.state.get(p)!.momentumBuffer!.requiresGrad).toBe(false);
  });

  it('step(closure) evaluates the closure first and returns its result', () => {
    const p = leaf();
    const opt = new SGD([p], { lr: 0.1 });
    const loss = opt.step(() => {
      opt.zeroGrad();
      const l = quadraticLoss(p);
      l.backward();
      return l;
    });
    expect(loss.dataSync()[0]).toBeCloseTo(0.5 * (0.25 + 2 * 2.3 ** 2 + 0.5 * 3.7 ** 2), 5);
    expect(p.dataSync()[0]).toBeCloseTo(0.5 + 0.1 * 0.5, 6);
  });

  it('step() inside a user scope keeps the state alive after the scope', () => {
    const p = leaf();
    const opt = new Adam([p], { lr: 0.1 });
    backward(p);
    scope(() => opt.step());
    const s = opt.state.get(p)!;
    expect(s.expAvg.isDisposed).toBe(false);
    expect(s.expAvgSq.isDisposed).toBe(false);
    backward(p);
    opt.step();
  });
});

describe('memory: step() leaves no live tensors beyond the state made on the first step', () => {
  const cases: Array<[string, (ps: Tensor[]) => Optimizer, number]> = [
    ['SGD', (ps) => new SGD(ps, { lr: 0.01 }), 0],
    ['SGD momentum nesterov weightDecay', (ps) => new SGD(ps, { lr: 0.01, momentum: 0.9, nesterov: true, weightDecay: 0.1 }), 1],
    ['Adam', (ps) => new Adam(ps, { weightDecay: 0.1 }), 2],
    ['Adam amsgrad maximize', (ps) => new Adam(ps, { amsgrad: true, maximize: true }), 3],
    ['AdamW amsgrad', (ps) => new AdamW(ps, { amsgrad: true }), 3],
    ['RMSprop', (ps) => new RMSprop(ps), 1],
    ['RMSprop centered momentum', (ps) => new RMSprop(ps, { centered: true, momentum: 0.9, weightDecay: 0.1 }), 3],
    ['Adagrad', (ps) => new Adagrad(ps, { lrDecay: 0.1, weightDecay: 0.1 }), 1],
  ];
  for (const [name, make, perParam] of cases) {
    it(`${name}: ${perParam} state tensor(s) per parameter`, () => {
      const ps = [leaf(), leaf([1, 2, 3])];
      const opt = make(ps);
      backward(...ps);
      let before = memory();
      opt.step();
      expect(memory().tensors - before.tensors).toBe(perParam * ps.length);
      expect(memory().bytes - before.bytes).toBe(perParam * ps.length * 3 * 4);
      for (let i = 0; i < 3; i++) {
        opt.zeroGrad();
        backward(...ps);
        before = memory();
        opt.step();
        expect(memory().tensors - before.tensors).toBe(0);
        expect(memory().bytes - before.bytes).toBe(0);
      }
    });
  }
});

describe('stateDict / loadStateDict', () => {
  it('uses PyTorch layout: parameters numbered across groups, state keyed by number', () => {
    const [a, b, c] = [leaf(), leaf(), leaf()];
    const opt = new Adam([{ params: [a, b] }, { params: [c], lr: 0.5 }], { lr: 0.1 });
    backward(a, c);
    opt.step();
    const sd = opt.stateDict();
    expect(sd.paramGroups).toEqual([
      { lr: 0.1, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false, params: [0, 1] },
      { lr: 0.5, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false, params: [2] },
    ]);
    expect(Object.keys(sd.state)).toEqual(['0', '2']);
    expect(sd.state[0].step).toBe(1);
    expect(Object.keys(sd.state[2]).sort()).toEqual(['expAvg', 'expAvgSq', 'step']);
    expect(sd.state[0].expAvg).toBe(opt.state.get(a)!.expAvg); // live tensors, as PyTorch
  });

  const makers: Array<[string, (ps: Tensor[], lr: number) => Optimizer]> = [
    ['SGD', (ps, lr) => new SGD(ps, { lr, momentum: 0.9, nesterov: true })],
    ['Adam', (ps, lr) => new Adam(ps, { lr, amsgrad: true })],
    ['AdamW', (ps, lr) => new AdamW(ps, { lr })],
    ['RMSprop', (ps, lr) => new RMSprop(ps, { lr: lr / 10, centered: true, momentum: 0.5 })],
    ['Adagrad', (ps, lr) => new Adagrad(ps, { lr, lrDecay: 0.1 })],
  ];
  for (const [name, make] of makers) {
    it(`${name}: a new optimizer loaded from stateDict() continues identically`, () => {
      const p = leaf();
      const opt = make([p], 0.1);
      for (let i = 0; i < 5; i++) {
        opt.zeroGrad();
        backward(p);
        opt.step();
      }
      const sd = opt.stateDict();
      const q = leaf(Array.from(p.dataSync()));
      const resumed = make([q], 0.7); // its own lr is replaced by the saved one
      resumed.loadStateDict(sd);
      expect(resumed.paramGroups[0].lr).toBe(opt.paramGroups[0].lr);
      for (let i = 0; i < 5; i++) {
        for (const [o, t] of [
          [opt, p],
          [resumed, q],
        ] as const) {
          o.zeroGrad();
          backward(t);
          o.step();
        }
        expect(Array.from(q.dataSync())).toEqual(Array.from(p.dataSync())); // bit for bit
      }
    });
  }

  it('loading copies the state (no sharing with the source) and disposes the previous state', () => {
    const p = leaf();
    const opt = new Adam([p], { lr: 0.1 });
    backward(p);
    opt.step();
    const q = leaf();
    const other = new Adam([q], { lr: 0.1 });
    backward(q);
    other.step();
    const old = other.state.get(q)!.expAvg;
    other.loadStateDict(opt.stateDict());
    expect(old.isDisposed).toBe(true);
    expect(other.state.get(q)!.expAvg).not.toBe(opt.state.get(p)!.expAvg);
    expect(Array.from(other.state.get(q)!.expAvg.dataSync())).toEqual(Array.from(opt.state.get(p)!.expAvg.dataSync()));
    const before = memory().tensors;
    other.loadStateDict(other.stateDict()); // reloading its own state: copies in, old ones out
    expect(memory().tensors).toBe(before);
  });

  it('rejects state dicts whose groups do not match', () => {
    const [a, b] = [leaf(), leaf()];
    const sd = new SGD([a, b]).stateDict();
    expect(() => new SGD([{ params: [a] }, { params: [b] }]).loadStateDict(sd)).toThrow('SGD: loaded state dict has 1 parameter groups, the optimizer has 2');
    expect(() => new SGD([a]).loadStateDict(sd)).toThrow(
      "SGD: loaded state dict contains a parameter group that doesn't match the size of optimizer's group (group 0: 2 saved, 1 here)",
    );
    expect(() => new SGD([a]).loadStateDict(null as never)).toThrow('SGD: expected a state dict');
  });

  it('a state dict with zeros for state tensors still loads into a fresh optimizer', () => {
    const p = leaf();
    const opt = new SGD([p], { lr: 0.1, momentum: 0.9 });
    opt.loadStateDict({ state: { 0: { momentumBuffer: zeros([3]) } }, paramGroups: [{ lr: 0.2, params: [0] }] });
    expect(opt.paramGroups[0].lr).toBe(0.2);
    expect(opt.paramGroups[0].momentum).toBe(0.9);
    expect(opt.state.get(p)!.momentumBuffer!.shape).toEqual([3]);
  });
});

describe('Optimizer.dispose', () => {
  it('frees the state tensors of Adam and LBFGS, and a later step starts afresh', async () => {
    const w = tensor([1, -2, 3], { requiresGrad: true });
    const before = memory().devices.cpu.tensors;
    const adam = new Adam([w], { lr: 0.1 });
    for (let i = 0; i < 2; i++) {
      adam.zeroGrad();
      scope(() => w.mul(w).sum().backward());
      adam.step();
    }
    w.grad?.dispose();
    w.grad = null;
    expect(memory().devices.cpu.tensors).toBeGreaterThan(before);
    adam.dispose();
    expect(adam.state.size).toBe(0);
    expect(memory().devices.cpu.tensors).toBe(before);
    const lbfgs = new LBFGS([w], { maxIter: 3 });
    await lbfgs.step(() => {
      lbfgs.zeroGrad();
      const loss = scope(() => w.mul(w).sum());
      loss.backward();
      return loss;
    });
    (w.grad as Tensor | null)?.dispose(); // set by the closure's backward
    w.grad = null;
    lbfgs.dispose();
    expect(memory().devices.cpu.tensors).toBe(before);
  });
});
