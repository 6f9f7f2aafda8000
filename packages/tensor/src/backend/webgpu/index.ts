import type { ArgReduceOp, AvgPool2dParams, Backend, BinaryOp, Conv2dParams, Pool2dParams, ReduceOp, Storage, TransferCounts, UnaryOp, View } from '../backend';
import { castScalar, type DType, type TypedArray } from '../../dtype';
import { contiguousStrides, isContiguous, numel, type Shape } from '../../shape';
import { copy, fillWord } from './codegen/copy';
import { arange } from './codegen/arange';
import { binary, unary, where } from './codegen/elementwise';
import { argReduce, reduce } from './codegen/reduce';
import { conv2d, conv2dBackwardInput, conv2dBackwardWeight } from './kernels/conv2d.wgsl';
import { gather, scatterAdd } from './kernels/gather.wgsl';
import { type MatmulTile, matmul } from './kernels/matmul.wgsl';
import { avgPool2d, avgPool2dBackward, maxPool2dIndices } from './kernels/pool.wgsl';
import { maxPool2dInt8 } from './kernels/pool-int8.wgsl';
import { softmax } from './kernels/softmax.wgsl';
import { normalize, normalizeBackward } from './kernels/norm.wgsl';
import { attention } from './kernels/attention.wgsl';
import { attentionBackward } from './kernels/attention-backward.wgsl';
import { gloveStep } from './kernels/glove.wgsl';
import { permutation } from './kernels/permutation.wgsl';
import { adagradStep, adamStep, rmspropStep, sgdStep } from './kernels/optimizer-steps.wgsl';
import { argsort } from './kernels/sort.wgsl';
import { scan } from './kernels/scan.wgsl';
import { compact } from './kernels/select.wgsl';
import { lookUpBytes, quantize, requantize } from './kernels/quantized.wgsl';
import { quantizedConv2d } from './kernels/quantized-conv.wgsl';
import type { AttentionParams, GloveStepParams, NormParams, PrimitiveArgs, QuantizeParams, ScanOp } from '../backend';
import type { AdagradStepParams, AdamStepParams, RmspropStepParams, SgdStepParams } from '../backend';
import { Runtime, type RuntimeOptions } from './runtime';
import { bufferOf, constantWord, type GpuConstant, type GpuStorage } from './storage';
import { elementBytes, fromStored, fromWords, storageBytes, toWords } from './wgsl/dtype';

const f32Bits = /* @__PURE__ */ new Float32Array(1);
const f32Word = /* @__PURE__ */ (() => new Uint32Array(f32Bits.buffer))(); // an arrow call, which bundles can drop

/** The 32-bit word that stores `value` in a storage of `dtype`. */
function wordOf(value: number, dtype: DType): number {
  const v = castScalar(value, dtype);
  if (dtype !== 'float32') return v >>> 0;
  f32Bits[0] = v;
  return f32Word[0];
}

/**
 * The WebGPU backend: storages are pooled GPU buffers of 32-bit words (int8/uint8 packed four to a
 * word, see `wgsl/dtype.ts`), work is recorded into one
 * command encoder and submitted when data is read back. Kernels live in `codegen/` (generated
 * from op tables) and `kernels/` (hand-written WGSL) and run through {@link Runtime}.
 */
export class WebGpuBackend implements Backend {
  readonly name = 'webgpu' as const;
  /** The runtime kernels dispatch through. */
  readonly runtime: Runtime;

  /**
   * The matmul tile configuration every product uses, or undefined to pick one by shape (the
   * default); set through `init({ webgpu: { matmulTile } })` for benchmarking and tuning.
   */
  matmulTile: MatmulTile | undefined;

  constructor(device: GPUDevice, opts: RuntimeOptions = {}) {
    this.runtime = new Runtime(device, opts);
  }

  // ── memory ──────────────────────────────────────────────────────────────
  alloc(dtype: DType, size: number): Storage {
    const buffer = this.runtime.createBuffer(storageBytes(dtype, size));
    const s: GpuStorage = { device: 'webgpu', dtype, size, bytes: buffer.size, refs: 0, buffer };
    return s;
  }

  free(storage: Storage): void {
    if (constantWord(storage) === undefined) this.runtime.releaseBuffer(bufferOf(storage));
  }

  constant(dtype: DType, value: number): Storage {
    const s: GpuConstant = { device: 'webgpu', dtype, size: 1, bytes: 0, refs: 0, word: wordOf(value, dtype) };
    return s;
  }

  transfers(): TransferCounts {
    const { uploads, uploadBytes, reads, readBytes } = this.runtime.stats();
    return { writes: uploads, writeBytes: uploadBytes, reads, readBytes };
  }

  write(storage: Storage, data: TypedArray): void {
    this.runtime.write(bufferOf(storage), 0, toWords(storage.dtype, data));
  }

  async read(x: View): Promise<TypedArray> {
    const rt = this.runtime;
    rt.checkAlive();
    const n = numel(x.shape);
    const dtype = x.storage.dtype;
    if (n === 0) return fromWords(dtype, new ArrayBuffer(0));
    const word = constantWord(x);
    if (word !== undefined) return fromWords(dtype, new Uint32Array(n).fill(word).buffer); // on the host already
    // the whole words holding elements [offset, offset + n), then the elements from within them
    const readRun = async (buffer: GPUBuffer, offset: number) => {
      const size = elementBytes(dtype);
      const start = Math.floor((offset * size) / 4) * 4;
      const end = Math.ceil(((offset + n) * size) / 4) * 4;
      return fromStored(dtype, await rt.read(buffer, start, end - start), n, offset - start / size);
    };
    if (isContiguous(x.shape, x.strides)) return readRun(bufferOf(x), x.offset);
    const packed = this.alloc(dtype, n);
    try {
      copy(rt, x, { storage: packed, shape: x.shape, strides: contiguousStrides(x.shape), offset: 0 });
      return await readRun(bufferOf(packed), 0);
    } finally {
      this.free(packed);
    }
  }

  // ── data movement ───────────────────────────────────────────────────────
  fill(out: View, value: number): void {
    this.runtime.checkAlive();
    fillWord(this.runtime, out, wordOf(value, out.storage.dtype));
  }

  arange(out: Storage, start: number, step: number): void {
    this.runtime.checkAlive();
    arange(this.runtime, out, start, step);
  }

  permutation(out: Storage, key0: number, key1: number, counter: number): void {
    this.runtime.checkAlive();
    permutation(this.runtime, out, key0, key1, counter);
  }

  copy(x: View, out: View): void {
    this.runtime.checkAlive();
    const word = constantWord(x);
    if (word === undefined) copy(this.runtime, x, out);
    else {
      const v = fromWords(x.storage.dtype, Uint32Array.of(word).buffer)[0];
      this.fill(out, out.storage.dtype === 'bool' && Number.isNaN(v) ? 1 : v); // NaN casts to true, as copy does
    }
  }

  // ── kernels (codegen/ and kernels/); a lost device is reported by the runtime's dispatch ──
  unary(op: UnaryOp, x: View, out: Storage): void {
    unary(this.runtime, op, x, out);
  }
  binary(op: BinaryOp, a: View, b: View, out: Storage): void {
    binary(this.runtime, op, a, b, out);
  }
  where(cond: View, a: View, b: View, out: Storage): void {
    where(this.runtime, cond, a, b, out);
  }
  reduce(op: ReduceOp, x: View, dims: readonly number[], out: Storage): void {
    this.runtime.checkAlive();
    reduce(this.runtime, op, x, dims, out);
  }
  argReduce(op: ArgReduceOp, x: View, dim: number, out: Storage): void {
    this.runtime.checkAlive();
    argReduce(this.runtime, op, x, dim, out);
  }
  matmul(a: View, b: View, out: Storage): void {
    matmul(this.runtime, a, b, out, this.matmulTile);
  }
  conv2d(x: View, w: View, out: Storage, outShape: Shape, p: Conv2dParams, bias: View | null = null): void {
    if (!bias) {
      conv2d(this.runtime, x, w, out, outShape, p);
      return;
    }
    // the bias as its own pass: the convolution into a temporary, then out = it + bias[o] per channel
    const tmp = this.alloc('float32', numel(outShape));
    try {
      conv2d(this.runtime, x, w, tmp, outShape, p);
      const b = { storage: bias.storage, shape: outShape, strides: [0, bias.strides[0], 0, 0], offset: bias.offset };
      binary(this.runtime, 'add', { storage: tmp, shape: outShape, strides: contiguousStrides(outShape), offset: 0 }, b, out);
    } finally {
      this.free(tmp);
    }
  }
  conv2dBackwardInput(gy: View, w: View, out: Storage, outShape: Shape, p: Conv2dParams): void {
    conv2dBackwardInput(this.runtime, gy, w, out, outShape, p);
  }
  conv2dBackwardWeight(x: View, gy: View, out: Storage, outShape: Shape, p: Conv2dParams, bias: { out: Storage; dims: readonly number[] } | null = null): void {
    conv2dBackwardWeight(this.runtime, x, gy, out, outShape, p);
    if (bias) this.reduce('sum', gy, bias.dims, bias.out);
  }
  maxPool2d(x: View, out: Storage, indices: Storage, outShape: Shape, p: Pool2dParams): void {
    // the argmax kernel, then the values gathered at those positions
    maxPool2dIndices(this.runtime, x, indices, outShape, p);
    const at = { storage: indices, shape: [...outShape], strides: contiguousStrides(outShape), offset: 0 };
    gather(this.runtime, poolPlanes(x, x.shape), 2, poolPlanes(at, outShape), out);
  }
  maxPool2dInt8(x: View, out: Storage, outShape: Shape, p: Pool2dParams): void {
    maxPool2dInt8(this.runtime, x, out, outShape, p);
  }
  maxPool2dBackward(gy: View, indices: View, out: Storage, outShape: Shape): void {
    const flat = [outShape[0], outShape[1], outShape[2] * outShape[3]];
    this.fill({ storage: out, shape: flat, strides: contiguousStrides(flat), offset: 0 }, 0);
    scatterAdd(this.runtime, out, flat, 2, poolPlanes(indices, indices.shape), poolPlanes(gy, gy.shape));
  }
  avgPool2d(x: View, out: Storage, outShape: Shape, p: AvgPool2dParams): void {
    avgPool2d(this.runtime, x, out, outShape, p);
  }
  avgPool2dBackward(gy: View, out: Storage, outShape: Shape, p: AvgPool2dParams): void {
    avgPool2dBackward(this.runtime, gy, out, outShape, p);
  }
  softmax(x: View, dim: number, log: boolean, out: Storage): void {
    this.runtime.checkAlive();
    softmax(this.runtime, x, dim, log, out);
  }
  normalize(x: View, weight: View | null, bias: View | null, out: View, mean: Storage, variance: Storage, p: NormParams): void {
    normalize(this.runtime, x, weight, bias, out, mean, variance, p);
  }
  normalizeBackward(x: View, weight: View | null, gy: View, mean: View, variance: View, gx: View, gyXhat: View | null, p: NormParams): void {
    normalizeBackward(this.runtime, x, weight, gy, mean, variance, gx, gyXhat, p);
  }
  gather(x: View, dim: number, index: View, out: Storage): void {
    gather(this.runtime, x, dim, index, out);
  }
  scatterAdd(out: Storage, outShape: Shape, dim: number, index: View, src: View, outOffset?: number): void {
    scatterAdd(this.runtime, out, outShape, dim, index, src, outOffset);
  }
  attention(q: View, k: View, v: View, mask: View | null, out: Storage, lse: Storage, p: AttentionParams): void {
    attention(this.runtime, q, k, v, mask, out, lse, p);
  }
  attentionBackward(...args: PrimitiveArgs<'attentionBackward'>): void {
    attentionBackward(this.runtime, ...args);
  }
  gloveStep(params: View, gradsq: View, rows: View, cols: View, logX: View, weight: View, order: View | null, cost: View, p: GloveStepParams): void {
    gloveStep(this.runtime, params, gradsq, rows, cols, logX, weight, order, cost, p);
  }
  adamStep(param: View, grad: View, expAvg: View, expAvgSq: View, maxExpAvgSq: View | null, p: AdamStepParams): void {
    adamStep(this.runtime, param, grad, expAvg, expAvgSq, maxExpAvgSq, p);
  }
  sgdStep(param: View, grad: View, momentumBuffer: View | null, p: SgdStepParams): void {
    sgdStep(this.runtime, param, grad, momentumBuffer, p);
  }
  rmspropStep(param: View, grad: View, squareAvg: View, gradAvg: View | null, momentumBuffer: View | null, p: RmspropStepParams): void {
    rmspropStep(this.runtime, param, grad, squareAvg, gradAvg, momentumBuffer, p);
  }
  adagradStep(param: View, grad: View, stateSum: View, p: AdagradStepParams): void {
    adagradStep(this.runtime, param, grad, stateSum, p);
  }
  argsort(x: View, dim: number, descending: boolean, out: Storage): void {
    argsort(this.runtime, x, dim, descending, out);
  }
  scan(op: ScanOp, x: View, dim: number, reverse: boolean, out: Storage): void {
    scan(this.runtime, op, x, dim, reverse, out);
  }
  compact(counts: View, shape: Shape, out: Storage): void {
    compact(this.runtime, counts, shape, out);
  }
  quantize(x: View, p: QuantizeParams, out: Storage): void {
    quantize(this.runtime, x, p, out);
  }
  lookUpBytes(x: View, table: Uint8Array, out: Storage): void {
    lookUpBytes(this.runtime, x, table, out);
  }
  requantize(...args: PrimitiveArgs<'requantize'>): void {
    requantize(this.runtime, ...args);
  }
  quantizedConv2d(...args: PrimitiveArgs<'quantizedConv2d'>): void {
    quantizedConv2d(this.runtime, ...args);
  }
}

/** `v`'s storage read as the contiguous [N, C, H·W] tensor of `shape` [N, C, H, W] (planes flattened). */
function poolPlanes(v: View, [n, c, h, w]: readonly number[]): View {
  const shape = [n, c, h * w];
  return { storage: v.storage, shape, strides: contiguousStrides(shape), offset: v.offset };
}
