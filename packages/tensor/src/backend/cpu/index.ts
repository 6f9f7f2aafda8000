import type { Backend, Storage, TransferCounts, View } from '../backend';
import { allocArray, castScalar, type DType, type TypedArray } from '../../dtype';
import { contiguousStrides, isContiguous, numel } from '../../shape';
import { type CpuStorage, dataOf, derivedBytes, dropDerived, outData } from './storage';
import { freeHeapStorage, heapStorage, plainStorage } from './heap-storage';
import { forEachLine } from './strided';
import { binary, unary, where } from './elementwise';
import { argReduce, reduce } from './reduce';
import { matmul } from './matmul';
import { conv2d, conv2dBackwardInput, conv2dBackwardWeight } from './conv';
import { avgPool2d, avgPool2dBackward, maxPool2d, maxPool2dBackward } from './pool';
import { maxPool2dInt8 } from './pool-int8';
import { softmax } from './softmax';
import { normalize, normalizeBackward } from './norm';
import { gather, scatterAdd } from './indexing';
import { attention, attentionBackward } from './attention';
import { gloveStep } from './glove';
import { adagradStep, adamStep, rmspropStep, sgdStep } from './optimizer-steps';
import { argsort } from './sort';
import { scan } from './scan';
import { compact } from './select';
import { lookUpBytes, quantize, requantize } from './quantized';
import { quantizedConv2d } from './quantized-conv';
import { deferSettle, noteWritten, settlePool } from './threads';

/** Primitives that settle a job left running themselves, at their first memory access (./threads.ts `deferSettle`). */
const DEFERRED = new Set(['unary', 'binary', 'maxPool2d', 'maxPool2dBackward', 'conv2d', 'conv2dBackwardInput', 'conv2dBackwardWeight', 'matmul']);

function fill(out: View, value: number): void {
  const od = dataOf(out);
  if (isContiguous(out.shape, out.strides)) {
    od.fill(castScalar(value, out.storage.dtype), out.offset, out.offset + numel(out.shape));
    return;
  }
  forEachLine(out.shape, [out.strides], [out.offset], ([o], n, [s]) => {
    for (let i = 0; i < n; i++) od[o + i * s] = value;
  });
}

function copy(x: View, out: View): void {
  const xd = dataOf(x);
  // an output that is its whole storage is overwritten entirely: a reused heap block need not be cleared first
  const whole = out.offset === 0 && numel(out.shape) === out.storage.size && isContiguous(out.shape, out.strides);
  const od = whole ? outData(out.storage) : dataOf(out);
  const toBool = out.storage.dtype === 'bool';
  if (x.storage.dtype === out.storage.dtype && isContiguous(x.shape, x.strides) && isContiguous(out.shape, out.strides)) {
    // one block copy (element by element, the CPU heap's shared memory is several times slower)
    od.set(xd.subarray(x.offset, x.offset + numel(x.shape)), out.offset);
    return;
  }
  forEachLine(x.shape, [x.strides, out.strides], [x.offset, out.offset], ([xi, oi], n, [xs, os]) => {
    if (toBool)
      for (let i = 0; i < n; i++) od[oi + i * os] = xd[xi + i * xs] !== 0 ? 1 : 0; // NaN is true, as PyTorch
    else for (let i = 0; i < n; i++) od[oi + i * os] = xd[xi + i * xs];
  });
}

function readSync(x: View): TypedArray {
  const size = numel(x.shape);
  const src = dataOf(x);
  if (isContiguous(x.shape, x.strides)) return src.slice(x.offset, x.offset + size);
  const out = allocArray(x.storage.dtype, size);
  copy(x, {
    storage: { device: 'cpu', dtype: x.storage.dtype, size, refs: 1, data: out } as CpuStorage,
    shape: x.shape,
    strides: contiguousStrides(x.shape),
    offset: 0,
  });
  return out;
}

/** The CPU backend: typed arrays in host memory, kernels in plain JavaScript. */
export class CpuBackend implements Backend {
  readonly name = 'cpu' as const;
  private readonly counts: TransferCounts = { writes: 0, writeBytes: 0, reads: 0, readBytes: 0 };

  constructor() {
    // a kernel's last job may still run on the worker threads (./thread-pool.ts `detach`): every
    // primitive first finishes it, so none reads or writes memory that job uses — the DEFERRED
    // ones settle it themselves, at their first access, so their JS runs beside it (./threads.ts)
    const self = this as unknown as Record<string, unknown>;
    for (const [k, f] of Object.entries(self))
      if (typeof f === 'function') {
        const g = f as (...a: unknown[]) => unknown;
        self[k] = DEFERRED.has(k)
          ? (...args: unknown[]) => deferSettle(g, args)
          : (...args: unknown[]) => {
              settlePool();
              const r = g(...args);
              noteWritten(args);
              return r;
            };
      }
  }

  alloc(dtype: DType, size: number): Storage {
    return heapStorage(dtype, size) ?? plainStorage(dtype, size);
  }
  free(storage: Storage): void {
    // A heap block goes back to its free list; a plain array is left to the garbage collector.
    dropDerived(storage as CpuStorage);
    freeHeapStorage(storage as CpuStorage);
  }
  derivedBytes(): number {
    return derivedBytes();
  }
  write(storage: Storage, data: TypedArray): void {
    settlePool();
    outData(storage).set(data);
    this.counts.writes++;
    this.counts.writeBytes += data.byteLength;
  }
  read(x: View): Promise<TypedArray> {
    return Promise.resolve(this.readSync(x));
  }
  readSync(x: View): TypedArray {
    settlePool();
    const out = readSync(x);
    this.counts.reads++;
    this.counts.readBytes += out.byteLength;
    return out;
  }
  arange(out: Storage, start: number, step: number): void {
    settlePool();
    const od = dataOf(out);
    for (let i = 0; i < out.size; i++) od[i] = start + i * step;
  }
  constant(dtype: DType, value: number): Storage {
    const data = allocArray(dtype, 1);
    data[0] = castScalar(value, dtype);
    const s: CpuStorage = { device: 'cpu', dtype, size: 1, bytes: data.byteLength, refs: 0, data };
    return s;
  }
  transfers(): TransferCounts {
    return { ...this.counts };
  }
  fill = fill;
  copy = copy;
  unary = unary;
  binary = binary;
  where = where;
  reduce = reduce;
  argReduce = argReduce;
  matmul = matmul;
  conv2d = conv2d;
  conv2dBackwardInput = conv2dBackwardInput;
  conv2dBackwardWeight = conv2dBackwardWeight;
  maxPool2d = maxPool2d;
  maxPool2dBackward = maxPool2dBackward;
  maxPool2dInt8 = maxPool2dInt8;
  avgPool2d = avgPool2d;
  avgPool2dBackward = avgPool2dBackward;
  softmax = softmax;
  normalize = normalize;
  normalizeBackward = normalizeBackward;
  gather = gather;
  scatterAdd = scatterAdd;
  attention = attention;
  attentionBackward = attentionBackward;
  gloveStep = gloveStep;
  adamStep = adamStep;
  sgdStep = sgdStep;
  rmspropStep = rmspropStep;
  adagradStep = adagradStep;
  argsort = argsort;
  scan = scan;
  compact = compact;
  quantize = quantize;
  lookUpBytes = lookUpBytes;
  requantize = requantize;
  quantizedConv2d = quantizedConv2d;
}
