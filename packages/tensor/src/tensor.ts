// Over ~400 lines: the Tensor class's one-line method forms (STYLE.md guideline 10), each with TSDoc;
// the ops themselves live in src/ops/.
import type { DeviceName, Storage, View } from './backend/backend';
import type { Node } from './autograd/graph';
import { runBackward } from './autograd/graph';
import { backendOf } from './device';
import { type DType, type TypedArray, isDType } from './dtype';
import { ArgumentError, DeviceError, DisposedError, DTypeError, ShapeError } from './errors';
import { countCollected, countTensor, releaseStorage, retainStorage, track } from './memory';
import { fmt, numel, type Shape } from './shape';
import { formatAsync, formatSync, type PrintOptions } from './format';
import * as ew from './ops/elementwise';
import * as red from './ops/reduce';
import * as mm from './ops/matmul';
import * as conv from './ops/conv';
import * as pool from './ops/pool';
import * as sm from './ops/softmax';
import * as norm from './ops/norm';
import * as mv from './ops/movement';
import * as pd from './ops/pad';
import * as ix from './ops/indexing';
import * as att from './ops/attention';
import { dropout } from './ops/dropout';
import * as tri from './ops/triangular';
import * as ro from './ops/reorder';
import * as sim from './ops/similarity';
import { maskedFill } from './ops/sampling';
import * as srt from './ops/sort';
import * as scn from './ops/scan';
import * as sel from './ops/select';
import * as mth from './ops/math';
import * as lgc from './ops/logical';
import { onesLike } from './creation';

/**
 * A number or nested arrays of numbers/booleans, as returned by `toArray()`.
 * @example
 * ```ts
 * const rows = (await tensor([[1, 2]]).toArray()) as number[][];
 * ```
 */
export type NestedArray = number | boolean | NestedArray[];

/**
 * A tensor, or a plain number that is broadcast like a 0-d tensor.
 * @example
 * ```ts
 * const x = tensor([1, 2]);
 * x.add(1); x.add(tensor([1, 2]));
 * ```
 */
export type TensorLike = Tensor | number;

/**
 * Dims to reduce over: one dim, several, or all when omitted.
 * @example
 * ```ts
 * const x = randn([2, 3]);
 * x.sum(1); x.sum([0, -1]);
 * ```
 */
export type Dim = number | readonly number[];

interface Resources {
  storage: Storage;
  node: Node | null;
  counted: boolean;
}

function releaseResources(r: Resources): void {
  releaseStorage(r.storage);
  r.node?.release();
  if (r.counted) countTensor(r.storage.device, -1);
}

// Safety net: a tensor that is garbage-collected without dispose() still frees its memory, and
// counts as a leak in memory().collected.
const finalizer = /* @__PURE__ */ new FinalizationRegistry<Resources>((r) => {
  releaseResources(r);
  if (r.counted) countCollected();
});

/**
 * Holds Node's `console.log`/`util.inspect` hook (the {@link Tensor.toString} text) for Tensor.
 * It is a base class of its own because a class with a computed key that is not a well-known
 * symbol (here `Symbol.for('nodejs.util.inspect.custom')`) cannot be dropped by esbuild's
 * tree-shaking: on Tensor it kept every op and backend in the bundle of an app that imports only,
 * say, `ShapeError`. This small class is all such a bundle keeps.
 * @internal
 */
class Inspectable {
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return String(this);
  }
}

/**
 * An n-dimensional array on a device, with optional gradient tracking. Create tensors with
 * `tensor`, `zeros`, `randn`, …; every op exists as a function and as a method here.
 * Views (`reshape`, `permute`, `transpose`, `expand`, `narrow`, …) share memory with their source.
 * @example
 * ```ts
 * const x = tensor([[1, 2], [3, 4]]);
 * const w = randn([2, 3], { requiresGrad: true });
 * const y = x.matmul(w).relu().sum();
 * y.backward();
 * await w.grad!.data(); // Float32Array(6)
 * ```
 */
export class Tensor extends Inspectable {
  /** Sizes of each dimension. */
  readonly shape: Shape;
  /** Elements to step in storage per index step in each dimension (0 for broadcast dims). */
  readonly strides: readonly number[];
  /** Index of the first element in the storage. */
  readonly offset: number;
  /** Gradient accumulated by `backward()` (leaves and tensors that called `retainGrad()`). */
  grad: Tensor | null = null;
  /** @internal */ _storage: Storage;
  /** @internal */ _node: Node | null = null;
  /** @internal */ _scope: Set<Tensor> | undefined;
  private _requiresGrad = false;
  private _disposed = false;
  private readonly _res: Resources;

  /** @internal Tensors come from creation functions and ops; subclasses (e.g. nn's Parameter) wrap a storage. */
  protected constructor(storage: Storage, shape: Shape, strides: readonly number[], offset: number, counted: boolean) {
    super();
    this._storage = storage;
    this.shape = shape;
    this.strides = strides;
    this.offset = offset;
    retainStorage(storage);
    this._res = { storage, node: null, counted };
    finalizer.register(this, this._res, this);
    if (counted) {
      countTensor(storage.device, 1);
      track(this);
    }
  }

  /** @internal Wrap a storage (used by ops and creation functions). */
  static _create(storage: Storage, shape: Shape, strides: readonly number[], offset: number): Tensor {
    return new Tensor(storage, shape, strides, offset, true);
  }

  /** @internal An untracked alias that keeps this tensor's storage alive for autograd. */
  _alias(): Tensor {
    return new Tensor(this._storage, this.shape, this.strides, this.offset, false);
  }

  /**
   * @internal Take over `other`'s memory and layout (same shape and dtype, any device): this
   * object's storage is released and `other` disposed, so the one handle lives on, now on
   * `other.device` — how `Module.to` moves a `Parameter` without replacing it (optimizers keep
   * it). A leaf keeps `requiresGrad`; a non-leaf becomes a leaf that does not require grad, as a
   * moved copy would be. `.grad` is left to the caller (Module.to moves it the same way). Views
   * made before keep the old memory.
   */
  _replaceWith(other: Tensor): void {
    this.check('_replaceWith');
    other.check('_replaceWith');
    if (other === this) return;
    if (other.dtype !== this.dtype || other.shape.length !== this.shape.length || other.shape.some((d, i) => d !== this.shape[i])) {
      throw new ShapeError('_replaceWith', `expected a ${this.dtype} tensor of shape ${fmt(this.shape)}, got ${other.dtype} ${fmt(other.shape)}`);
    }
    const old = this._storage;
    retainStorage(other._storage);
    // Same object as the FinalizationRegistry holds, so the safety net frees the new storage.
    this._res.storage = other._storage;
    this._storage = other._storage;
    const layout = this as { strides: readonly number[]; offset: number };
    layout.strides = other.strides;
    layout.offset = other.offset;
    if (this._node) {
      this._node.release();
      this._node = null;
      this._res.node = null;
      this._requiresGrad = false;
    }
    if (this._res.counted && old.device !== other.device) {
      countTensor(old.device, -1);
      countTensor(other.device, 1);
    }
    releaseStorage(old);
    other.dispose();
  }

  /** @internal */
  _attachNode(node: Node): void {
    node.refs++;
    this._node = node;
    this._res.node = node;
    this._requiresGrad = true;
  }

  /** @internal The backend's view of this tensor. */
  _view(): View {
    return { storage: this._storage, shape: this.shape, strides: this.strides, offset: this.offset };
  }

  /** Element type. */
  get dtype(): DType {
    return this._storage.dtype;
  }
  /** Device holding the data. */
  get device(): DeviceName {
    return this._storage.device;
  }
  /** Number of dimensions. */
  get ndim(): number {
    return this.shape.length;
  }
  /** True for tensors not produced by a recorded op (user-created, or detached). */
  get isLeaf(): boolean {
    return this._node === null;
  }
  /** True after `dispose()` (or after the owning scope ended). */
  get isDisposed(): boolean {
    return this._disposed;
  }
  /** Whether autograd tracks operations on this tensor. Only leaves can be changed. */
  get requiresGrad(): boolean {
    return this._requiresGrad;
  }
  set requiresGrad(flag: boolean) {
    if (flag && this.dtype !== 'float32') {
      throw new DTypeError('requiresGrad', `only float32 tensors can require gradients, got ${this.dtype}`);
    }
    if (!this.isLeaf) throw new ArgumentError('requiresGrad', 'can only change requiresGrad of leaf tensors (use detach())');
    this._requiresGrad = flag;
  }

  /** Number of elements. */
  numel(): number {
    return numel(this.shape);
  }

  private check(op: string): void {
    if (this._disposed) throw new DisposedError(op, 'tensor was disposed');
  }

  /** Free this tensor's memory now. Safe to call twice. Views keep shared memory alive until they go too. */
  dispose(): void {
    if (this._disposed) return;
    this._disposed = true;
    finalizer.unregister(this);
    this._scope?.delete(this);
    this._scope = undefined;
    releaseResources(this._res);
    this.grad?.dispose();
    this.grad = null;
  }

  /** The elements as a new typed array in row-major order (async: works on every device). */
  async data(): Promise<TypedArray> {
    this.check('data');
    return backendOf(this.device).read(this._view());
  }

  /** Synchronous `data()`; CPU tensors only. */
  dataSync(): TypedArray {
    this.check('dataSync');
    const be = backendOf(this.device);
    if (!be.readSync) throw new DeviceError('dataSync', `synchronous reads are only possible on the CPU; this tensor is on ${this.device} (use await data())`);
    return be.readSync(this._view());
  }

  /** The value of a one-element tensor. */
  async item(): Promise<number> {
    this.check('item');
    if (this.numel() !== 1) throw new ShapeError('item', `expected a tensor with one element, got shape ${fmt(this.shape)}`);
    return (await this.data())[0];
  }

  /** The elements as nested arrays (booleans for bool tensors). */
  async toArray(): Promise<NestedArray> {
    this.check('toArray');
    const flat = await this.data();
    const asBool = this.dtype === 'bool';
    const build = (dim: number, at: number): NestedArray => {
      if (dim === this.shape.length) return asBool ? flat[at] !== 0 : flat[at];
      const step = numel(this.shape.slice(dim + 1));
      return Array.from({ length: this.shape[dim] }, (_, i) => build(dim + 1, at + i * step));
    };
    return build(0, 0);
  }

  /**
   * Convert to a dtype or move to a device, synchronously (a new tensor; returns `this` when
   * nothing changes). A dtype cast is recorded by autograd; a device move makes a new leaf that
   * does not require grad. Moving off WebGPU needs an asynchronous read, so `to('cpu')` on a
   * WebGPU tensor throws a `DeviceError`: use `await t.toDevice('cpu')`, which works in every direction.
   * @example
   * ```ts
   * const x = tensor([1.7, -2.2]);
   * x.to('int32'); // [1, -2]
   * x.to('cpu') === x; // true: nothing to do
   * ```
   */
  to(target: DeviceName | DType): Tensor {
    this.check('to');
    if (isDType(target)) return target === this.dtype ? this : mv.cast(this, target);
    if (target === this.device) return this;
    if (target !== 'cpu' && target !== 'webgpu') throw new ArgumentError('to', `unknown device or dtype '${String(target)}'`);
    return mv.copyToDevice(this, target);
  }

  /** Method form of {@link toDevice}: move to `device` in any direction (asynchronous). */
  toDevice(device: DeviceName): Promise<Tensor> {
    return mv.toDevice(this, device);
  }

  /** Compute gradients of this tensor with respect to the leaves that require grad. */
  backward(gradient?: Tensor, opts: { retainGraph?: boolean } = {}): void {
    this.check('backward');
    runBackward(this, gradient, opts.retainGraph ?? false);
  }

  /** Keep `.grad` for this non-leaf tensor during `backward()` (leaves always keep it). */
  retainGrad(): this {
    if (this._node) this._node.retain = new WeakRef(this);
    return this;
  }

  /** A tensor sharing this one's memory, cut from the graph (requiresGrad false). */
  detach(): Tensor {
    this.check('detach');
    return Tensor._create(this._storage, this.shape, this.strides, this.offset);
  }

  /**
   * The tensor as PyTorch prints it: `tensor([[1.5000, 2.0000], …])`, summarised with `...` past
   * 1000 elements, with `device='webgpu'`, non-default `dtype=int32` and `requiresGrad=true`
   * suffixes; bools print as `true`/`false` (JavaScript's literals: the text reads back as code).
   * Synchronous, so values print on the CPU only; on WebGPU it is a header without values,
   * `tensor(<webgpu, shape [2, 3], float32>)`: use {@link Tensor.format} or {@link Tensor.print}.
   * Node's `console.log(t)` prints the same.
   * @example
   * ```ts
   * String(tensor([[1, 2], [3, 4]])); // 'tensor([[1., 2.],\n        [3., 4.]])'
   * String(tensor([1.5, 2], { requiresGrad: true })); // 'tensor([1.5000, 2.0000], requiresGrad=true)'
   * ```
   */
  override toString(): string {
    return formatSync(this);
  }

  /**
   * The `String(t)` text, with the values, on every device (reads the tensor).
   * @example
   * ```ts
   * await tensor([1, 2, 3], { dtype: 'int32' }).format(); // 'tensor([1, 2, 3], dtype=int32)'
   * await arange(500, 2000).format({ edgeItems: 2 });     // 'tensor([ 500.,  501.,  ..., 1998., 1999.])'
   * ```
   */
  format(opts?: PrintOptions): Promise<string> {
    return formatAsync(this, opts);
  }

  /**
   * Print the tensor with `console.log` (the {@link Tensor.format} text), on every device.
   * @example
   * ```ts
   * await randn([2, 3]).print(); // tensor([[-0.8321,  0.1250,  1.0432], …
   * ```
   */
  async print(opts?: PrintOptions): Promise<void> {
    console.log(await formatAsync(this, opts));
  }

  /** Method form of {@link assign}: overwrite the values in place, outside autograd. */
  assign(value: TensorLike): this {
    mv.assign(this, value);
    return this;
  }

  /** A tensor of ones with this one's shape, dtype and device. */
  onesLike(): Tensor {
    return onesLike(this);
  }

  // ── method forms: one line each, documented on the functions ──────────────
  /** Method form of {@link add}. */ add(other: TensorLike): Tensor {
    return ew.add(this, other);
  }
  /** Method form of {@link sub}. */ sub(other: TensorLike): Tensor {
    return ew.sub(this, other);
  }
  /** Method form of {@link mul}. */ mul(other: TensorLike): Tensor {
    return ew.mul(this, other);
  }
  /** Method form of {@link div}. */ div(other: TensorLike): Tensor {
    return ew.div(this, other);
  }
  /** Method form of {@link pow}. */ pow(exponent: TensorLike): Tensor {
    return ew.pow(this, exponent);
  }
  /** Method form of {@link maximum}. */ maximum(other: TensorLike): Tensor {
    return ew.maximum(this, other);
  }
  /** Method form of {@link minimum}. */ minimum(other: TensorLike): Tensor {
    return ew.minimum(this, other);
  }
  /** Method form of {@link eq}. */ eq(other: TensorLike): Tensor {
    return ew.eq(this, other);
  }
  /** Method form of {@link ne}. */ ne(other: TensorLike): Tensor {
    return ew.ne(this, other);
  }
  /** Method form of {@link lt}. */ lt(other: TensorLike): Tensor {
    return ew.lt(this, other);
  }
  /** Method form of {@link le}. */ le(other: TensorLike): Tensor {
    return ew.le(this, other);
  }
  /** Method form of {@link gt}. */ gt(other: TensorLike): Tensor {
    return ew.gt(this, other);
  }
  /** Method form of {@link ge}. */ ge(other: TensorLike): Tensor {
    return ew.ge(this, other);
  }
  /** Method form of {@link neg}. */ neg(): Tensor {
    return ew.neg(this);
  }
  /** Method form of {@link abs}. */ abs(): Tensor {
    return ew.abs(this);
  }
  /** Method form of {@link sign}. */ sign(): Tensor {
    return ew.sign(this);
  }
  /** Method form of {@link exp}. */ exp(): Tensor {
    return ew.exp(this);
  }
  /** Method form of {@link log}. */ log(): Tensor {
    return ew.log(this);
  }
  /** Method form of {@link sqrt}. */ sqrt(): Tensor {
    return ew.sqrt(this);
  }
  /** Method form of {@link rsqrt}. */ rsqrt(): Tensor {
    return ew.rsqrt(this);
  }
  /** Method form of {@link relu}. */ relu(): Tensor {
    return ew.relu(this);
  }
  /** Method form of {@link leakyRelu}. */ leakyRelu(negativeSlope?: number): Tensor {
    return ew.leakyRelu(this, negativeSlope);
  }
  /** Method form of {@link gelu}. */ gelu(opts?: ew.GeluOptions): Tensor {
    return ew.gelu(this, opts);
  }
  /** Method form of {@link sigmoid}. */ sigmoid(): Tensor {
    return ew.sigmoid(this);
  }
  /** Method form of {@link erf}. */ erf(): Tensor {
    return ew.erf(this);
  }
  /** Method form of {@link tanh}. */ tanh(): Tensor {
    return ew.tanh(this);
  }
  /** Method form of {@link sin}. */ sin(): Tensor {
    return ew.sin(this);
  }
  /** Method form of {@link cos}. */ cos(): Tensor {
    return ew.cos(this);
  }
  /** Method form of {@link floor}. */ floor(): Tensor {
    return ew.floor(this);
  }
  /** Method form of {@link ceil}. */ ceil(): Tensor {
    return ew.ceil(this);
  }
  /** Method form of {@link round}. */ round(): Tensor {
    return ew.round(this);
  }
  /** Method form of {@link clamp}. */ clamp(min?: number | null, max?: number | null): Tensor {
    return ew.clamp(this, min, max);
  }
  /** Method form of {@link where}: `cond.where(a, b)` is `where(cond, a, b)`. */ where(a: TensorLike, b: TensorLike): Tensor {
    return ew.where(this, a, b);
  }

  /** Method form of {@link sum}. */ sum(dim?: Dim | red.ReduceOptions, opts?: red.ReduceOptions | boolean): Tensor {
    return red.sum(this, dim, opts);
  }
  /** Method form of {@link mean}. */ mean(dim?: Dim | red.ReduceOptions, opts?: red.ReduceOptions | boolean): Tensor {
    return red.mean(this, dim, opts);
  }
  /** Method form of {@link prod}. */ prod(dim?: Dim | red.ReduceOptions, opts?: red.ReduceOptions | boolean): Tensor {
    return red.prod(this, dim, opts);
  }
  /** Method form of {@link max}. */ max(dim?: Dim | red.ReduceOptions, opts?: red.ReduceOptions | boolean): Tensor {
    return red.max(this, dim, opts);
  }
  /** Method form of {@link min}. */ min(dim?: Dim | red.ReduceOptions, opts?: red.ReduceOptions | boolean): Tensor {
    return red.min(this, dim, opts);
  }
  /** Method form of {@link argmax}. */ argmax(dim?: number | red.ReduceOptions, opts?: red.ReduceOptions | boolean): Tensor {
    return red.argmax(this, dim, opts);
  }
  /** Method form of {@link argmin}. */ argmin(dim?: number | red.ReduceOptions, opts?: red.ReduceOptions | boolean): Tensor {
    return red.argmin(this, dim, opts);
  }
  /** Method form of {@link variance}. */ variance(dim?: Dim | red.VarianceOptions, opts?: red.VarianceOptions | boolean): Tensor {
    return red.variance(this, dim, opts);
  }
  /** Method form of {@link std}. */ std(dim?: Dim | red.VarianceOptions, opts?: red.VarianceOptions | boolean): Tensor {
    return red.std(this, dim, opts);
  }
  /** Method form of {@link logsumexp}. */ logsumexp(dim?: Dim | red.ReduceOptions, opts?: red.ReduceOptions | boolean): Tensor {
    return red.logsumexp(this, dim, opts);
  }

  /** Method form of {@link matmul}. */ matmul(other: Tensor): Tensor {
    return mm.matmul(this, other);
  }
  /** Method form of {@link outer}. */ outer(other: Tensor): Tensor {
    return mm.outer(this, other);
  }
  /** Method form of {@link linear}. */ linear(weight: Tensor, bias?: Tensor | null): Tensor {
    return mm.linear(this, weight, bias);
  }
  /** Method form of {@link conv1d}. */ conv1d(weight: Tensor, opts?: conv.Conv1dOptions): Tensor {
    return conv.conv1d(this, weight, opts);
  }
  /** Method form of {@link conv2d}. */ conv2d(weight: Tensor, opts?: conv.Conv2dOptions): Tensor {
    return conv.conv2d(this, weight, opts);
  }
  /** Method form of {@link convTranspose2d}. */ convTranspose2d(weight: Tensor, opts?: conv.ConvTranspose2dOptions): Tensor {
    return conv.convTranspose2d(this, weight, opts);
  }
  /** Method form of {@link maxPool2d}. */ maxPool2d(kernelSize: number | [number, number], opts?: pool.MaxPool2dOptions): Tensor {
    return pool.maxPool2d(this, kernelSize, opts);
  }
  /** Method form of {@link avgPool2d}. */ avgPool2d(kernelSize: number | [number, number], opts?: pool.AvgPool2dOptions): Tensor {
    return pool.avgPool2d(this, kernelSize, opts);
  }
  /** Method form of {@link adaptiveAvgPool2d}. */ adaptiveAvgPool2d(outputSize: number | [number, number]): Tensor {
    return pool.adaptiveAvgPool2d(this, outputSize);
  }
  /** Method form of {@link softmax}. */ softmax(dim?: number): Tensor {
    return sm.softmax(this, dim);
  }
  /** Method form of {@link logSoftmax}. */ logSoftmax(dim?: number): Tensor {
    return sm.logSoftmax(this, dim);
  }
  /** Method form of {@link layerNorm}. */ layerNorm(normalizedShape: number | readonly number[], opts?: norm.LayerNormOptions): Tensor {
    return norm.layerNorm(this, normalizedShape, opts);
  }
  /** Method form of {@link batchNorm}. */ batchNorm(runningMean: Tensor | null, runningVar: Tensor | null, opts?: norm.BatchNormOptions): Tensor {
    return norm.batchNorm(this, runningMean, runningVar, opts);
  }
  /** Method form of {@link scaledDotProductAttention} (this is the query). */ scaledDotProductAttention(
    key: Tensor,
    value: Tensor,
    opts?: att.AttentionOptions,
  ): Tensor {
    return att.scaledDotProductAttention(this, key, value, opts);
  }
  /** Method form of {@link embedding}: this tensor holds the indices. */ embedding(weight: Tensor): Tensor {
    return ix.embedding(this, weight);
  }
  /** Method form of {@link dropout}. */ dropout(p?: number, training?: boolean): Tensor {
    return dropout(this, p, training);
  }
  /** Method form of {@link oneHot}. */ oneHot(numClasses?: number): Tensor {
    return ix.oneHot(this, numClasses);
  }

  /** Method form of {@link reshape}. */ reshape(shape: readonly number[]): Tensor {
    return mv.reshape(this, shape);
  }
  /** Method form of {@link view}. */ view(shape: readonly number[]): Tensor {
    return mv.view(this, shape);
  }
  /** Method form of {@link flatten}. */ flatten(startDim?: number, endDim?: number): Tensor {
    return mv.flatten(this, startDim, endDim);
  }
  /** Method form of {@link permute}. */ permute(dims: readonly number[]): Tensor {
    return mv.permute(this, dims);
  }
  /** Method form of {@link transpose}. */ transpose(dim0: number, dim1: number): Tensor {
    return mv.transpose(this, dim0, dim1);
  }
  /** Method form of {@link squeeze}. */ squeeze(dim?: Dim): Tensor {
    return mv.squeeze(this, dim);
  }
  /** Method form of {@link unsqueeze}. */ unsqueeze(dim: number): Tensor {
    return mv.unsqueeze(this, dim);
  }
  /** Method form of {@link expand}. */ expand(shape: readonly number[]): Tensor {
    return mv.expand(this, shape);
  }
  /** Method form of {@link narrow}. */ narrow(dim: number, start: number, length: number): Tensor {
    return mv.narrow(this, dim, start, length);
  }
  /** Method form of {@link slice}. */ slice(dim: number, start?: number, end?: number, step?: number): Tensor {
    return mv.slice(this, dim, start, end, step);
  }
  /** Method form of {@link split}. */ split(splitSizeOrSections: number | readonly number[], dim?: number): Tensor[] {
    return mv.split(this, splitSizeOrSections, dim);
  }
  /** Method form of {@link chunk}. */ chunk(chunks: number, dim?: number): Tensor[] {
    return mv.chunk(this, chunks, dim);
  }
  /** Method form of {@link pad}. */ pad(padding: readonly number[], opts?: pd.PadOptions): Tensor {
    return pd.pad(this, padding, opts);
  }
  /** Method form of {@link tile}. */ tile(reps: readonly number[]): Tensor {
    return pd.tile(this, reps);
  }
  /** Method form of {@link repeat}. */ repeat(reps: readonly number[]): Tensor {
    return pd.repeat(this, reps);
  }
  /** Method form of {@link contiguous}. */ contiguous(): Tensor {
    return mv.contiguous(this);
  }
  /** Method form of {@link clone}. */ clone(): Tensor {
    return mv.clone(this);
  }
  /** Method form of {@link indexSelect}. */ indexSelect(dim: number, index: Tensor): Tensor {
    return ix.indexSelect(this, dim, index);
  }
  /** Method form of {@link gather}. */ gather(dim: number, index: Tensor): Tensor {
    return ix.gather(this, dim, index);
  }
  /** Method form of {@link scatterAdd}. */ scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor {
    return ix.scatterAdd(this, dim, index, src);
  }
  /** Method form of {@link indexAdd_}: adds into this tensor's memory, outside autograd. */ indexAdd_(
    dim: number,
    index: Tensor,
    source: Tensor,
    opts?: ix.IndexAddOptions,
  ): this {
    ix.indexAdd_(this, dim, index, source, opts);
    return this;
  }
  /** Method form of {@link scatterAdd_}: adds into this tensor's memory, outside autograd. */ scatterAdd_(dim: number, index: Tensor, src: Tensor): this {
    ix.scatterAdd_(this, dim, index, src);
    return this;
  }
  /** Method form of {@link tril}. */ tril(diagonal = 0): Tensor {
    return tri.tril(this, diagonal);
  }
  /** Method form of {@link triu}. */ triu(diagonal = 0): Tensor {
    return tri.triu(this, diagonal);
  }
  /** Method form of {@link diagonal}. */ diagonal(offset = 0, dim1 = -2, dim2 = -1): Tensor {
    return tri.diagonal(this, offset, dim1, dim2);
  }
  /** Method form of {@link trace}. */ trace(): Tensor {
    return tri.trace(this);
  }
  /** Method form of {@link flip}. */ flip(dims: number | readonly number[]): Tensor {
    return ro.flip(this, dims);
  }
  /** Method form of {@link roll}. */ roll(shifts: number | readonly number[], dims?: number | readonly number[]): Tensor {
    return ro.roll(this, shifts, dims);
  }
  /** Method form of {@link norm}. */ norm(opts?: sim.NormOptions): Tensor {
    return sim.norm(this, opts);
  }
  /** Method form of {@link maskedFill}. */ maskedFill(mask: Tensor, value: number): Tensor {
    return maskedFill(this, mask, value);
  }
  /** Method form of {@link sort}. */ sort(opts?: srt.SortOptions): srt.SortResult {
    return srt.sort(this, opts);
  }
  /** Method form of {@link argsort}. */ argsort(opts?: srt.SortOptions): Tensor {
    return srt.argsort(this, opts);
  }
  /** Method form of {@link topk}. */ topk(k: number, opts?: srt.TopkOptions): srt.SortResult {
    return srt.topk(this, k, opts);
  }
  /** Method form of {@link kthvalue}. */ kthvalue(k: number, opts?: srt.OrderStatOptions): srt.SortResult {
    return srt.kthvalue(this, k, opts);
  }
  /** Method form of {@link median}. */ median(opts?: { keepdim?: boolean }): Tensor;
  median(opts: srt.OrderStatOptions & { dim: number }): srt.SortResult;
  median(opts?: srt.OrderStatOptions): Tensor | srt.SortResult {
    return opts?.dim === undefined ? srt.median(this, opts) : srt.median(this, { ...opts, dim: opts.dim });
  }
  /** Method form of {@link quantile}. */ quantile(q: number | readonly number[], opts?: srt.QuantileOptions): Tensor {
    return srt.quantile(this, q, opts);
  }
  /** Method form of {@link nonzero}. */ nonzero(opts?: sel.NonzeroOptions & { asTuple?: false }): Tensor;
  nonzero(opts: sel.NonzeroOptions & { asTuple: true }): Tensor[];
  nonzero(opts?: sel.NonzeroOptions): Tensor | Tensor[] {
    return sel.nonzero(this, opts);
  }
  /** Method form of {@link nonzeroAsync}. */ nonzeroAsync(opts?: sel.NonzeroOptions & { asTuple?: false }): Promise<Tensor>;
  nonzeroAsync(opts: sel.NonzeroOptions & { asTuple: true }): Promise<Tensor[]>;
  nonzeroAsync(opts?: sel.NonzeroOptions): Promise<Tensor | Tensor[]> {
    return sel.nonzeroAsync(this, opts);
  }
  /** Method form of {@link maskedSelect}. */ maskedSelect(mask: Tensor): Tensor {
    return sel.maskedSelect(this, mask);
  }
  /** Method form of {@link maskedSelectAsync}. */ maskedSelectAsync(mask: Tensor): Promise<Tensor> {
    return sel.maskedSelectAsync(this, mask);
  }
  /** Method form of {@link unique}. */ unique(opts?: sel.UniqueOptions): sel.UniqueResult {
    return sel.unique(this, opts);
  }
  /** Method form of {@link uniqueAsync}. */ uniqueAsync(opts?: sel.UniqueOptions): Promise<sel.UniqueResult> {
    return sel.uniqueAsync(this, opts);
  }
  /** Method form of {@link cumsum}. */ cumsum(dim: number): Tensor {
    return scn.cumsum(this, dim);
  }
  /** Method form of {@link cumprod}. */ cumprod(dim: number): Tensor {
    return scn.cumprod(this, dim);
  }
  /**
   * The tensor with its dims reversed, as a view (`x.T`; for a matrix, its transpose).
   * @example
   * ```ts
   * tensor([[1, 2, 3]]).T.shape; // [3, 1]
   * ```
   */
  get T(): Tensor {
    return mv.permute(
      this,
      this.shape.map((_, i) => this.ndim - 1 - i),
    );
  }
  /**
   * The last two dims swapped, as a view (`x.mT`: the transpose of each matrix of a batch).
   * @example
   * ```ts
   * zeros([5, 2, 3]).mT.shape; // [5, 3, 2]
   * ```
   */
  get mT(): Tensor {
    if (this.ndim < 2) throw new ShapeError('mT', `expected at least 2 dims, got ${fmt(this.shape)}`);
    return mv.transpose(this, -2, -1);
  }
  /** Method form of {@link trunc}. */ trunc(): Tensor {
    return mth.trunc(this);
  }
  /** Method form of {@link log1p}. */ log1p(): Tensor {
    return mth.log1p(this);
  }
  /** Method form of {@link expm1}. */ expm1(): Tensor {
    return mth.expm1(this);
  }
  /** Method form of {@link log2}. */ log2(): Tensor {
    return mth.log2(this);
  }
  /** Method form of {@link exp2}. */ exp2(): Tensor {
    return mth.exp2(this);
  }
  /** Method form of {@link asin}. */ asin(): Tensor {
    return mth.asin(this);
  }
  /** Method form of {@link acos}. */ acos(): Tensor {
    return mth.acos(this);
  }
  /** Method form of {@link atan}. */ atan(): Tensor {
    return mth.atan(this);
  }
  /** Method form of {@link sinh}. */ sinh(): Tensor {
    return mth.sinh(this);
  }
  /** Method form of {@link cosh}. */ cosh(): Tensor {
    return mth.cosh(this);
  }
  /** Method form of {@link atan2}. */ atan2(other: TensorLike): Tensor {
    return mth.atan2(this, other);
  }
  /** Method form of {@link fmod}. */ fmod(other: TensorLike): Tensor {
    return mth.fmod(this, other);
  }
  /** Method form of {@link remainder}. */ remainder(other: TensorLike): Tensor {
    return mth.remainder(this, other);
  }
  /** Method form of {@link frac}. */ frac(): Tensor {
    return mth.frac(this);
  }
  /** Method form of {@link reciprocal}. */ reciprocal(): Tensor {
    return mth.reciprocal(this);
  }
  /** Method form of {@link square}. */ square(): Tensor {
    return mth.square(this);
  }
  /** Method form of {@link isnan}. */ isnan(): Tensor {
    return lgc.isnan(this);
  }
  /** Method form of {@link isinf}. */ isinf(): Tensor {
    return lgc.isinf(this);
  }
  /** Method form of {@link isfinite}. */ isfinite(): Tensor {
    return lgc.isfinite(this);
  }
  /** Method form of {@link nanToNum}. */ nanToNum(opts?: lgc.NanToNumOptions): Tensor {
    return lgc.nanToNum(this, opts);
  }
  /** Method form of {@link logicalAnd}. */ logicalAnd(other: Tensor): Tensor {
    return lgc.logicalAnd(this, other);
  }
  /** Method form of {@link logicalOr}. */ logicalOr(other: Tensor): Tensor {
    return lgc.logicalOr(this, other);
  }
  /** Method form of {@link logicalXor}. */ logicalXor(other: Tensor): Tensor {
    return lgc.logicalXor(this, other);
  }
  /** Method form of {@link logicalNot}. */ logicalNot(): Tensor {
    return lgc.logicalNot(this);
  }
  /** Method form of {@link any}. */ any(dim?: Dim | red.ReduceOptions, keepdim?: red.ReduceOptions | boolean): Tensor {
    return lgc.any(this, dim, keepdim);
  }
  /** Method form of {@link all}. */ all(dim?: Dim | red.ReduceOptions, keepdim?: red.ReduceOptions | boolean): Tensor {
    return lgc.all(this, dim, keepdim);
  }
}
