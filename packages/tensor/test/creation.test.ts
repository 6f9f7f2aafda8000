import { describe, expect, it } from 'vitest';
import {
  type DeviceName,
  tensor,
  full,
  zeros,
  ones,
  zerosLike,
  onesLike,
  arange,
  linspace,
  eye,
  rand,
  randn,
  randint,
  manualSeed,
  init,
  getDefaultDevice,
  matmul,
  AimodelError,
  ArgumentError,
  BackendUnavailableError,
  DTypeError,
  ShapeError,
} from '../src/index';
import { checkOptions, gradcheck, noGrad, scope, where } from '../src/index';
import { philox4x32 } from '../src/random';
import { describeOnCpu } from './helpers';

describeOnCpu('creation', (device: DeviceName) => {
  it('tensor from nested arrays, scalars, booleans and typed arrays', async () => {
    const x = tensor(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      { device },
    );
    expect(x.shape).toEqual([2, 3]);
    expect(x.dtype).toBe('float32');
    expect(x.device).toBe(device);
    await expect(x).toBeAllClose([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const s = tensor(2.5, { device });
    expect(s.shape).toEqual([]);
    expect(await s.item()).toBe(2.5);
    expect(tensor([], { device }).shape).toEqual([0]);
    const b = tensor([[true, false]], { device });
    expect(b.dtype).toBe('bool');
    expect(await b.toArray()).toEqual([[true, false]]);
    const cases = [
      [new Int32Array([1, -2]), 'int32'],
      [new Float32Array([0.5]), 'float32'],
      [new Int8Array([-3]), 'int8'],
      [new Uint8Array([200]), 'uint8'],
    ] as const;
    for (const [arr, dtype] of cases) {
      const t = tensor(arr, { device });
      expect(t.dtype).toBe(dtype);
      expect(Array.from(t.dataSync())).toEqual(Array.from(arr));
    }
  });

  it('an explicit dtype converts; an undefined dtype option keeps the inferred one', async () => {
    expect(Array.from(tensor([1.7, -2.2, 300], { device, dtype: 'int32' }).dataSync())).toEqual([1, -2, 300]);
    expect(Array.from(tensor([1.7, -2.2, 300], { device, dtype: 'uint8' }).dataSync())).toEqual([1, 254, 44]);
    expect(await tensor([0, 3, -1], { device, dtype: 'bool' }).toArray()).toEqual([false, true, true]);
    expect(tensor([true], { device, dtype: undefined }).dtype).toBe('bool');
    expect(tensor(new Int32Array([4]), { device, dtype: undefined }).dtype).toBe('int32');
    expect(tensor(new Int32Array([4]), { device, dtype: 'float32' }).dtype).toBe('float32');
    expect(randint(0, 3, [2], { device, dtype: undefined }).dtype).toBe('int32');
    expect(zerosLike(tensor([1], { dtype: 'int8' }), { dtype: undefined, device }).dtype).toBe('int8');
  });

  it('ragged or malformed nested arrays are ShapeErrors', () => {
    expect(() => tensor([[1, 2], [3]], { device })).toThrow(ShapeError);
    expect(() => tensor([[1, 2], [3]], { device })).toThrow(/^tensor: ragged nested array: expected length 2 at depth 1, got 1/);
    expect(() => tensor([[1, 2], 3] as never, { device })).toThrow(ShapeError);
    expect(() => tensor([[1], [[2]]] as never, { device })).toThrow(/^tensor: expected a number or boolean at depth 2, got an array/);
    expect(() => zeros([2, -1], { device })).toThrow(/invalid shape \[2,-1\]/);
    expect(() => tensor([1], { device, dtype: 'float64' as never })).toThrow(DTypeError);
  });

  it('full, zeros, ones, zerosLike, onesLike', async () => {
    await expect(full([2, 3], 7, { device })).toBeAllClose([
      [7, 7, 7],
      [7, 7, 7],
    ]);
    expect(Array.from(full([2], 2.9, { device, dtype: 'int32' }).dataSync())).toEqual([2, 2]);
    await expect(zeros([2, 2], { device })).toBeAllClose([
      [0, 0],
      [0, 0],
    ]);
    const o = ones([3], { device, dtype: 'int32' });
    expect(o.dtype).toBe('int32');
    await expect(o).toBeAllClose([1, 1, 1]);
    expect(zeros([0, 3], { device }).numel()).toBe(0);
    const src = tensor([[1, 2]], { device, dtype: 'int32' });
    const z = zerosLike(src);
    expect([z.shape, z.dtype, z.device]).toEqual([[1, 2], 'int32', device]);
    await expect(z).toBeAllClose([[0, 0]]);
    const l = onesLike(src, { dtype: 'float32' });
    expect(l.dtype).toBe('float32');
    await expect(l).toBeAllClose([[1, 1]]);
    await expect(src.onesLike()).toBeAllClose([[1, 1]]);
  });

  it('arange with one, two and three arguments', async () => {
    await expect(arange(4, undefined, 1, { device })).toBeAllClose([0, 1, 2, 3]);
    await expect(arange(1, 4, 1, { device })).toBeAllClose([1, 2, 3]);
    await expect(arange(1, 2, 0.25, { device })).toBeAllClose([1, 1.25, 1.5, 1.75]);
    const tenth = arange(0, 1, 0.1, { device });
    expect(tenth.shape).toEqual([10]);
    expect(tenth.dataSync()).toBeAllClose([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]);
    await expect(arange(5, 0, -2, { device })).toBeAllClose([5, 3, 1]);
    expect(arange(5, 1, 1, { device }).shape).toEqual([0]);
    expect(arange(0, undefined, 1, { device }).shape).toEqual([0]);
    const i = arange(0, 3, 1, { device, dtype: 'int32' });
    expect(i.dtype).toBe('int32');
    expect(() => arange(0, 5, 0)).toThrow(ArgumentError);
    expect(() => arange(0, 5, 0)).toThrow(/^arange: step must be a finite non-zero number, got 0/);
    expect(() => arange(0, Infinity)).toThrow(ArgumentError);
  });

  it('linspace and eye', async () => {
    await expect(linspace(0, 1, 5, { device })).toBeAllClose([0, 0.25, 0.5, 0.75, 1]);
    await expect(linspace(1, -1, 3, { device })).toBeAllClose([1, 0, -1]);
    await expect(linspace(2, 5, 1, { device })).toBeAllClose([2]);
    expect(linspace(0, 1, 0, { device }).shape).toEqual([0]);
    expect(() => linspace(0, 1, -1)).toThrow(/^linspace: steps must be a non-negative integer, got -1/);
    await expect(eye(2, undefined, { device })).toBeAllClose([
      [1, 0],
      [0, 1],
    ]);
    await expect(eye(2, 3, { device })).toBeAllClose([
      [1, 0, 0],
      [0, 1, 0],
    ]);
    await expect(eye(3, 1, { device })).toBeAllClose([[1], [0], [0]]);
  });

  it('rand is uniform in [0, 1); randn has mean 0 and std 1; randint stays in range', () => {
    manualSeed(123);
    const u = rand([10000], { device }).dataSync();
    let lo = Infinity;
    let hi = -Infinity;
    let sum = 0;
    for (const v of u) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
      sum += v;
    }
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeLessThan(1);
    expect(Math.abs(sum / u.length - 0.5)).toBeLessThan(0.02);
    const n = Array.from(randn([20000], { device }).dataSync());
    const mean = n.reduce((a, b) => a + b, 0) / n.length;
    const sd = Math.sqrt(n.reduce((a, b) => a + (b - mean) ** 2, 0) / n.length);
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(sd - 1)).toBeLessThan(0.03);
    expect(randn([3, 5], { device }).shape).toEqual([3, 5]);
    const r = randint(-3, 4, [5000], { device });
    expect(r.dtype).toBe('int32');
    const seen = new Set(r.dataSync());
    expect([...seen].sort((a, b) => a - b)).toEqual([-3, -2, -1, 0, 1, 2, 3]);
    expect(() => randint(3, 3, [2])).toThrow(/^randint: expected integers low < high/);
    expect(() => rand([2], { dtype: 'int32' })).toThrow(DTypeError);
    expect(() => randn([2], { dtype: 'bool' })).toThrow(/^randn: produces float32, got dtype bool/);
  });

  it('manualSeed makes random tensors reproducible', () => {
    manualSeed(42);
    const a = Array.from(randn([8], { device }).dataSync());
    const a2 = Array.from(rand([4], { device }).dataSync());
    manualSeed(42);
    expect(Array.from(randn([8], { device }).dataSync())).toEqual(a);
    expect(Array.from(rand([4], { device }).dataSync())).toEqual(a2);
    manualSeed(43);
    const c = Array.from(randn([8], { device }).dataSync());
    expect(c).not.toEqual(a);
    expect(c.filter((v, i) => v === a[i]).length).toBe(0);
    manualSeed(2 ** 40 + 5);
    const big = Array.from(rand([4], { device }).dataSync());
    manualSeed(5);
    expect(Array.from(rand([4], { device }).dataSync())).not.toEqual(big);
    expect(() => manualSeed(-1)).toThrow(ArgumentError);
    expect(() => manualSeed(1.5)).toThrow(/^manualSeed: seed must be a non-negative safe integer, got 1.5/);
  });

  it('options: dtype, device, requiresGrad; dataSync, toArray and item', async () => {
    const x = zeros([2], { device, requiresGrad: true });
    expect(x.requiresGrad).toBe(true);
    expect(x.isLeaf).toBe(true);
    expect(ones([2], { device }).requiresGrad).toBe(false);
    const d = tensor([1.5, 2], { device }).dataSync();
    expect(d).toBeInstanceOf(Float32Array);
    expect(Array.from(d)).toEqual([1.5, 2]);
    expect(tensor([1], { device, dtype: 'int32' }).dataSync()).toBeInstanceOf(Int32Array);
    expect(await tensor([[true], [false]], { device }).toArray()).toEqual([[true], [false]]);
    expect(await tensor([[3]], { device }).item()).toBe(3);
    await expect(tensor([1, 2], { device }).item()).rejects.toThrow(ShapeError);
    await expect(tensor([1, 2], { device }).item()).rejects.toThrow(/^item: expected a tensor with one element, got shape \[2\]/);
  });
});

describe('devices', () => {
  it('init selects a device and makes it the default; the CPU always works', async () => {
    expect(await init({ device: 'cpu' })).toBe('cpu');
    expect(getDefaultDevice()).toBe('cpu');
    const auto = await init(); // WebGPU only on a hardware adapter; lavapipe/SwiftShader stay on the CPU
    expect(['cpu', 'webgpu']).toContain(auto);
    expect(getDefaultDevice()).toBe(auto);
    expect(await init({ device: 'cpu' })).toBe('cpu');
    await expect(init({ device: 'tpu' as never })).rejects.toThrow(ArgumentError);
    await expect(init({ device: 'tpu' as never })).rejects.toThrow(/^init: unknown device 'tpu'/);
    expect(getDefaultDevice()).toBe('cpu');
  });

  it("init({ device: 'webgpu' }) opens an adapter, or says what to install", async () => {
    try {
      expect(await init({ device: 'webgpu' })).toBe('webgpu');
      expect(getDefaultDevice()).toBe('webgpu');
      const z = zeros([3]);
      expect(z.device).toBe('webgpu');
      expect(Array.from(await z.data())).toEqual([0, 0, 0]);
      z.dispose();
    } catch (e) {
      expect(process.env.AIMODEL_REQUIRE_WEBGPU, 'an adapter is required here').not.toBe('1');
      expect(BackendUnavailableError.isInstance(e)).toBe(true);
      expect((e as Error).message).toMatch(/^init: .*(GPU driver|lavapipe|webgpu)/);
    } finally {
      await init({ device: 'cpu' });
    }
  });
});

describe('errors', () => {
  it('carry the op, a prefixed message, their class name and a cross-realm brand', () => {
    let caught: unknown;
    try {
      matmul(zeros([2, 3]), zeros([4, 5]));
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ShapeError);
    expect(caught).toBeInstanceOf(AimodelError);
    const e = caught as ShapeError;
    expect(e.op).toBe('matmul');
    expect(e.name).toBe('ShapeError');
    expect(e.message).toBe('matmul: inner dimensions differ: [2,3] @ [4,5] (3 != 4)');
    expect(AimodelError.isInstance(e)).toBe(true);
    expect(AimodelError.isInstance(new DTypeError('x', 'y'))).toBe(true);
    expect(AimodelError.isInstance(new Error('plain'))).toBe(false);
    expect(AimodelError.isInstance(null)).toBe(false);
    expect(AimodelError.isInstance('matmul: oops')).toBe(false);
    const foreign = Object.assign(new Error('from another copy'), { [Symbol.for('aimodel.error')]: true, op: 'add' });
    expect(AimodelError.isInstance(foreign)).toBe(true);
  });
});

describe('Philox4x32-10', () => {
  const block = (c: number[], k: number[]) => {
    const out = new Uint32Array(6).fill(7);
    philox4x32(c[0], c[1], c[2], c[3], k[0], k[1], out, 1);
    return Array.from(out);
  };
  it('matches the Random123 known-answer vectors', () => {
    expect(block([0, 0, 0, 0], [0, 0])).toEqual([7, 0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8, 7]);
    const f = 0xffffffff;
    expect(block([f, f, f, f], [f, f])).toEqual([7, 0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd, 7]);
    expect(block([0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0])).toEqual([7, 0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1, 7]);
  });
});

describe('options objects', () => {
  it('creation functions and gradcheck reject unknown keys, naming the op and the valid keys', () => {
    expect(() => tensor([1], { zzz: 1 } as never)).toThrow("tensor: unknown option 'zzz' (expected dtype, device, requiresGrad)");
    expect(() => zeros([2], { requires_grad: true } as never)).toThrow(
      "zeros: unknown option 'requires_grad' (did you mean 'requiresGrad'?) (expected dtype, device, requiresGrad)",
    );
    expect(() => eye(2, 2, { dtyp: 'int32' } as never)).toThrow("eye: unknown option 'dtyp'");
    expect(() => gradcheck((x) => x.sum(), [ones([2])], { epsilon: 1e-3 } as never)).toThrow("gradcheck: unknown option 'epsilon' (expected eps, rtol, atol)");
  });

  it('checkOptions: undefined passes, non-objects and arrays are ArgumentErrors', () => {
    expect(() => checkOptions('f', undefined, ['a'])).not.toThrow();
    expect(() => checkOptions('f', { a: 1 }, ['a'])).not.toThrow();
    expect(() => checkOptions('f', null, ['a'])).toThrow('f: expected an options object, got null');
    expect(() => checkOptions('f', [1], ['a'])).toThrow('f: expected an options object, got an array');
    expect(() => checkOptions('f', 'x', ['a'])).toThrow('f: expected an options object, got string');
    expect(() => checkOptions('f', { learning_rate: 1 }, ['lr'])).toThrow("f: unknown option 'learning_rate' (expected lr)"); // no hint without a camelCase match
  });
});

describe('typed arrays map to a dtype or throw (never a reinterpretation)', () => {
  it('Float64Array converts to float32 values', async () => {
    const t = tensor(new Float64Array([1.5, 2.7, 300, -0.1]));
    expect(t.dtype).toBe('float32');
    expect(Array.from(await t.data())).toEqual([1.5, Math.fround(2.7), 300, Math.fround(-0.1)]);
  });
  it('Int16Array, Uint16Array and Uint32Array widen to int32 exactly', async () => {
    const a = tensor(new Int16Array([1, -2, -32768]));
    expect(a.dtype).toBe('int32');
    expect(Array.from(await a.data())).toEqual([1, -2, -32768]);
    const b = tensor(new Uint16Array([65535, 0]));
    expect(b.dtype).toBe('int32');
    expect(Array.from(await b.data())).toEqual([65535, 0]);
    const c = tensor(new Uint32Array([7, 2147483647]));
    expect(Array.from(await c.data())).toEqual([7, 2147483647]);
  });
  it('Uint8ClampedArray gives uint8; the storage types keep theirs', () => {
    expect(tensor(new Uint8ClampedArray([0, 255])).dtype).toBe('uint8');
    expect(tensor(new Int8Array([-1])).dtype).toBe('int8');
    expect(tensor(new Int32Array([-1])).dtype).toBe('int32');
  });
  it('Uint32Array values past int32, BigInt arrays and DataViews are DTypeErrors', () => {
    expect(() => tensor(new Uint32Array([1, 4294967295]))).toThrow(/tensor: Uint32Array value 4294967295 at index 1 does not fit int32/);
    expect(() => tensor(new BigInt64Array([1n]) as never)).toThrow(DTypeError);
    expect(() => tensor(new BigInt64Array([1n]) as never)).toThrow(/unsupported typed array BigInt64Array/);
    expect(() => tensor(new DataView(new ArrayBuffer(4)) as never)).toThrow(/unsupported typed array DataView/);
  });
  it('an explicit dtype converts a Float64Array', async () => {
    const t = tensor(new Float64Array([1.9, -1.9]), { dtype: 'int32' });
    expect(Array.from(await t.data())).toEqual([1, -1]);
  });
});

describe('noGrad and scope take synchronous functions only', () => {
  it('an async function is an ArgumentError and grad mode stays on', () => {
    const w = tensor([1, 2], { requiresGrad: true });
    expect(() => noGrad(async () => w.mul(2))).toThrow(ArgumentError);
    expect(() => noGrad(async () => w.mul(2))).toThrow(/noGrad: received an async function/);
    expect(() => noGrad((() => Promise.resolve(1)) as () => unknown)).toThrow(/noGrad: received an async function/);
    expect(w.mul(2).requiresGrad).toBe(true);
    expect(() => scope(async () => w.mul(2))).toThrow(/scope: received an async function/);
    expect(() => noGrad(undefined as never)).toThrow(/noGrad: expected a function, got undefined/);
  });
});

describe('non-tensor operands are named in an ArgumentError', () => {
  it('binary ops, matmul and where', () => {
    const x = tensor([1, 2]);
    expect(() => x.add('2' as never)).toThrow('add: expected a Tensor or a number operand, got the string "2"');
    expect(() => x.mul(undefined as never)).toThrow('mul: expected a Tensor or a number operand, got undefined');
    expect(() => x.sub([1, 2] as never)).toThrow('sub: expected a Tensor or a number operand, got an array of length 2 (wrap it with tensor())');
    expect(() => x.div(null as never)).toThrow(ArgumentError);
    expect(() => matmul(x, {} as never)).toThrow('matmul: expected a Tensor, got an object (Object)');
    expect(() => where(undefined as never, x, 0)).toThrow('where: expected a bool Tensor condition, got undefined');
  });
});

describe('arange takes its options after any number of the numbers', () => {
  it('as torch.arange(5, dtype=…) and arange(1, 4, dtype=…)', async () => {
    const a = arange(5, { dtype: 'int32' });
    expect(a.dtype).toBe('int32');
    expect(Array.from(await a.data())).toEqual([0, 1, 2, 3, 4]);
    const b = arange(1, 4, { dtype: 'int32' });
    expect(Array.from(await b.data())).toEqual([1, 2, 3]);
    const c = arange(10, 0, -4, { dtype: 'int32' });
    expect(Array.from(await c.data())).toEqual([10, 6, 2]);
    expect(Array.from(await arange(0.5, 2).data())).toEqual([0.5, 1.5]);
    expect(Array.from(await arange(2 ** 24 - 1, 2 ** 24 + 2).data())).toEqual([16777215, 16777216, 16777216]); // float32 rounding, as the host path
    expect(arange(0, { dtype: 'int32' }).shape).toEqual([0]);
    expect(() => arange(3, { dtpye: 'int32' } as never)).toThrow(/arange: unknown option 'dtpye'/);
    expect(() => arange('3' as never)).toThrow('arange: start must be a number, got string');
  });
});
