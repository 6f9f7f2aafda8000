import type {
  ArgReduceOp, AvgPool2dParams, Backend, BinaryOp, Conv2dParams, Pool2dParams, ReduceOp, Storage, UnaryOp, View,
} from '../backend';
import { castScalar, type DType, type TypedArray } from '../../dtype';
import { BackendUnavailableError } from '../../errors';
import { contiguousStrides, isContiguous, numel, type Shape } from '../../shape';
import { copy, fillWord } from './codegen/copy';
import { Runtime, type RuntimeOptions } from './runtime';
import { bufferOf, type GpuStorage } from './storage';
import { fromWords, GPU_WORD_BYTES, toWords } from './wgsl/dtype';


const f32Bits = new Float32Array(1);
const f32Word = new Uint32Array(f32Bits.buffer);

/** The 32-bit word that stores `value` in a storage of `dtype`. */
function wordOf(value: number, dtype: DType): number {
  const v = castScalar(value, dtype);
  if (dtype !== 'float32') return v >>> 0;
  f32Bits[0] = v;
  return f32Word[0];
}

/**
 * The WebGPU backend: storages are pooled GPU buffers of 32-bit words, work is recorded into one
 * command encoder and submitted when data is read back. Kernels live in `codegen/` (generated
 * from op tables) and `kernels/` (hand-written WGSL) and run through {@link Runtime}.
 */
export class WebGpuBackend implements Backend {
  readonly name = 'webgpu' as const;
  /** The runtime kernels dispatch through. */
  readonly runtime: Runtime;

  constructor(device: GPUDevice, opts: RuntimeOptions = {}) {
    this.runtime = new Runtime(device, opts);
  }

  // ── memory ──────────────────────────────────────────────────────────────
  alloc(dtype: DType, size: number): Storage {
    const buffer = this.runtime.createBuffer(Math.max(1, size) * GPU_WORD_BYTES);
    const s: GpuStorage = { device: 'webgpu', dtype, size, refs: 0, buffer };
    return s;
  }

  free(storage: Storage): void {
    this.runtime.releaseBuffer(bufferOf(storage));
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
    if (isContiguous(x.shape, x.strides)) {
      return fromWords(dtype, await rt.read(bufferOf(x), x.offset * GPU_WORD_BYTES, n * GPU_WORD_BYTES));
    }
    const packed = this.alloc(dtype, n);
    try {
      copy(rt, x, { storage: packed, shape: x.shape, strides: contiguousStrides(x.shape), offset: 0 });
      return fromWords(dtype, await rt.read(bufferOf(packed), 0, n * GPU_WORD_BYTES));
    } finally {
      this.free(packed);
    }
  }

  // ── data movement ───────────────────────────────────────────────────────
  fill(out: View, value: number): void {
    this.runtime.checkAlive();
    fillWord(this.runtime, out, wordOf(value, out.storage.dtype));
  }

  copy(x: View, out: View): void {
    this.runtime.checkAlive();
    copy(this.runtime, x, out);
  }

  /** A primitive whose WebGPU kernel is not written yet. */
  private notYet(op: string): never {
    this.runtime.checkAlive();
    throw new BackendUnavailableError(op, `the WebGPU kernel for ${op} is not written yet; use the cpu device for now`);
  }

  // ── kernels still being written (each throws BackendUnavailableError naming it) ──
  unary(op: UnaryOp, _x: View, _out: Storage): void {
    this.notYet(op);
  }
  binary(op: BinaryOp, _a: View, _b: View, _out: Storage): void {
    this.notYet(op);
  }
  where(_cond: View, _a: View, _b: View, _out: Storage): void {
    this.notYet('where');
  }
  reduce(op: ReduceOp, _x: View, _dims: readonly number[], _out: Storage): void {
    this.notYet(op);
  }
  argReduce(op: ArgReduceOp, _x: View, _dim: number, _out: Storage): void {
    this.notYet(op);
  }
  matmul(_a: View, _b: View, _out: Storage): void {
    this.notYet('matmul');
  }
  conv2d(_x: View, _w: View, _out: Storage, _outShape: Shape, _p: Conv2dParams): void {
    this.notYet('conv2d');
  }
  conv2dBackwardInput(_gy: View, _w: View, _out: Storage, _outShape: Shape, _p: Conv2dParams): void {
    this.notYet('conv2dBackwardInput');
  }
  conv2dBackwardWeight(_x: View, _gy: View, _out: Storage, _outShape: Shape, _p: Conv2dParams): void {
    this.notYet('conv2dBackwardWeight');
  }
  maxPool2dIndices(_x: View, _out: Storage, _outShape: Shape, _p: Pool2dParams): void {
    this.notYet('maxPool2dIndices');
  }
  avgPool2d(_x: View, _out: Storage, _outShape: Shape, _p: AvgPool2dParams): void {
    this.notYet('avgPool2d');
  }
  avgPool2dBackward(_gy: View, _out: Storage, _outShape: Shape, _p: AvgPool2dParams): void {
    this.notYet('avgPool2dBackward');
  }
  softmax(_x: View, _dim: number, log: boolean, _out: Storage): void {
    this.notYet(log ? 'logSoftmax' : 'softmax');
  }
  gather(_x: View, _dim: number, _index: View, _out: Storage): void {
    this.notYet('gather');
  }
  scatterAdd(_out: Storage, _outShape: Shape, _dim: number, _index: View, _src: View): void {
    this.notYet('scatterAdd');
  }
}
