import { expect, it } from 'vitest';
import { ShapeError } from '../../src/errors';
import { batchNorm, gradcheck, layerNorm, maxPool2d, memory, noGrad, ones, scope, type Tensor, tensor, zeros } from '../../src/index';
import { defineOp } from '../../src/ops/define-op';
import { describeOnCpu } from '../helpers';

// A fused op with a declared secondary output: out = x², twice = 2x, and the gradient reads the
// secondary output (∂x² = 2x·gy) instead of recomputing it.
const square = defineOp<undefined, 'twice'>('square', {
  outputs: ['twice'],
  infer: ([x]) => {
    if (x.dtype !== 'float32') throw new ShapeError('square', `expected float32, got ${x.dtype}`);
    return { shape: [...x.shape], dtype: 'float32', outputs: { twice: { shape: [...x.shape], dtype: 'float32' } } };
  },
  forward: (be, [x], out, _a, _shape, { twice }) => {
    be.binary('mul', x, x, out);
    be.binary('add', x, x, twice);
  },
  backward: (gy, _inputs, _out, _a, { twice }) => [() => gy.mul(twice)],
});

// Its forward throws after the engine allocated both outputs.
const failing = defineOp<undefined, 'extra'>('failing', {
  outputs: ['extra'],
  infer: ([x]) => ({ shape: [...x.shape], dtype: 'float32', outputs: { extra: { shape: [4], dtype: 'int32' } } }),
  forward: () => {
    throw new RangeError('rejected');
  },
});

/** Tensors and bytes alive now minus `before`. */
const delta = (before: ReturnType<typeof memory>) => ({ tensors: memory().tensors - before.tensors, bytes: memory().bytes - before.bytes });

describeOnCpu('defineOp secondary outputs', (device) => {
  it('allocates each declared output, passes it to forward and returns it with the main output', async () => {
    const { out, outputs } = square([tensor([1, -2, 3], { device })], undefined);
    expect(Array.from(await out.data())).toEqual([1, 4, 9]);
    expect(Array.from(await outputs.twice.data())).toEqual([2, -4, 6]);
    expect(outputs.twice.shape).toEqual([3]);
    expect(outputs.twice.requiresGrad).toBe(false); // secondary outputs carry no gradient
    out.dispose();
    outputs.twice.dispose();
  });

  it('the node saves the secondary outputs after the inputs, the rule reads them, and backward frees them', async () => {
    const x = tensor([1, -2, 3], { device, requiresGrad: true });
    const before = memory();
    scope(() => {
      const { out, outputs } = square([x], undefined);
      expect(out._node!.saved.map((t) => t.shape)).toEqual([[3], [3]]);
      outputs.twice.dispose(); // the caller's copy; the node keeps its own reference
      out.sum().backward();
      expect(out._node!.freed).toBe(true);
    });
    expect(Array.from(await x.grad!.data())).toEqual([2, -4, 6]);
    x.grad!.dispose();
    x.grad = null;
    expect(delta(before)).toEqual({ tensors: 0, bytes: 0 });
    const r = gradcheck((t) => square([t], undefined).out.sum(), [tensor([0.5, -1.5, 2], { device })]);
    expect(r.ok).toBe(true);
  });

  it('without grad nothing is recorded; a failed infer or forward leaves no memory behind', () => {
    const x = ones([4], { device });
    const before = memory();
    const { out, outputs } = noGrad(() => square([x], undefined));
    expect(out._node).toBeNull();
    out.dispose();
    outputs.twice.dispose();
    const ints = zeros([2], { device, dtype: 'int32' });
    expect(() => square([ints], undefined)).toThrow(/^square: expected float32, got int32/);
    ints.dispose();
    expect(() => failing([x], undefined)).toThrow(RangeError);
    expect(delta(before)).toEqual({ tensors: 0, bytes: 0 });
  });

  it('layerNorm, batchNorm and maxPool2d keep their statistics and indices internal: memory is flat', () => {
    const x = tensor(
      Array.from({ length: 2 * 3 * 4 * 4 }, (_, i) => Math.sin(i * 1.7)),
      { device },
    ).reshape([2, 3, 4, 4]);
    const leaf = (t: Tensor) => {
      const l = t.detach();
      l.requiresGrad = true;
      return l;
    };
    const [a, w, b] = [leaf(x), leaf(ones([4], { device })), leaf(zeros([4], { device }))];
    const [rm, rv] = [zeros([3], { device }), ones([3], { device })];
    const before = memory();
    scope(() => {
      layerNorm(a, [4], { weight: w, bias: b }).sum().backward();
      batchNorm(a, rm, rv, { training: true }).mul(a).sum().backward();
      maxPool2d(a, 2).sum().backward();
      noGrad(() => [layerNorm(a, 4), batchNorm(a, rm, rv, { training: true }), maxPool2d(a, 3, { stride: 1 })]);
    });
    for (const t of [a, w, b]) {
      t.grad?.dispose();
      t.grad = null;
    }
    expect(delta(before)).toEqual({ tensors: 0, bytes: 0 });
  });
});
