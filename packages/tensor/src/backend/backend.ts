// Over ~450 lines: the Backend interface that every device implements, one documented method per
// kernel, with the parameter types those methods share; splitting it would split one contract.
import type { DType, TypedArray } from '../dtype';
import type { Shape } from '../shape';

/**
 * Names of the devices a tensor can live on.
 * @example
 * ```ts
 * const x = ones([2]);
 * const d: DeviceName = x.device; // 'cpu' or 'webgpu'
 * ```
 */
export type DeviceName = 'cpu' | 'webgpu';

/**
 * A block of device memory holding `size` elements of `dtype`. Backends extend it with their
 * handle (a typed array on the CPU, a GPUBuffer on WebGPU). Reference-counted by the tensors and
 * autograd nodes that read it; freed by `memory.ts` when the count reaches zero.
 */
export interface Storage {
  readonly device: DeviceName;
  readonly dtype: DType;
  readonly size: number;
  /**
   * Bytes of device memory this storage holds: the typed array's byteLength on the CPU, the
   * GPUBuffer's size on WebGPU (1 byte per int8/uint8 element, 4 per element of the other dtypes,
   * rounded up to the buffer pool's size class). `memory()` sums it.
   */
  readonly bytes: number;
  refs: number;
}

/**
 * A strided window onto a storage: element `i₀,i₁,…` is at `offset + Σ iₖ·strides[k]`.
 * Broadcast dims have stride 0. Kernels read views and write contiguous outputs unless a
 * primitive says otherwise.
 */
export interface View {
  readonly storage: Storage;
  readonly shape: Shape;
  readonly strides: readonly number[];
  readonly offset: number;
}

export type UnaryOp =
  | 'neg'
  | 'abs'
  | 'sign'
  | 'exp'
  | 'log'
  | 'sqrt'
  | 'rsqrt'
  | 'relu'
  | 'sigmoid'
  | 'tanh'
  | 'sin'
  | 'cos'
  | 'erf'
  | 'gelu'
  | 'geluTanh'
  | 'floor'
  | 'ceil'
  | 'round'
  | 'trunc'
  | 'log1p'
  | 'expm1'
  | 'log2'
  | 'exp2'
  | 'asin'
  | 'acos'
  | 'atan'
  | 'sinh'
  | 'cosh';

/** `reluGrad`: a where b > 0, else a·0 (relu's gradient gy·(x > 0) in one pass; a NaN or ±∞ in a gives NaN where b ≤ 0, as the product does). */
export type BinaryOp =
  | 'add'
  | 'sub'
  | 'mul'
  | 'div'
  | 'pow'
  | 'maximum'
  | 'minimum'
  | 'eq'
  | 'ne'
  | 'lt'
  | 'le'
  | 'gt'
  | 'ge'
  | 'atan2'
  | 'fmod'
  | 'remainder'
  | 'reluGrad';

export type ReduceOp = 'sum' | 'prod' | 'max' | 'min';

export type ArgReduceOp = 'argmax' | 'argmin';

/** Inclusive scans along one dim (cumsum, cumprod). */
export type ScanOp = 'sum' | 'prod';

/** Geometry of a 2-D convolution; all pairs are [height, width]. */
export interface Conv2dParams {
  stride: [number, number];
  /** Zeros added before the first row/column; trailing padding is implied by the output size. */
  padding: [number, number];
  dilation: [number, number];
  groups: number;
}

/** Geometry of a 2-D pooling window. Output size is the output storage's shape. */
export interface Pool2dParams {
  kernel: [number, number];
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
}

/** Average pooling: a fixed window (`kernel` set) or PyTorch's adaptive windows (`adaptive`). */
export interface AvgPool2dParams {
  /** Fixed windows; absent for adaptive pooling. */
  window?: Pool2dParams & { countIncludePad: boolean };
}

/** Settings of the fused attention primitives (the mask, when any, is a separate view). */
export interface AttentionParams {
  /** Multiplies q·kᵀ before the mask is applied. */
  scale: number;
  /** Query i attends only to keys j ≤ i (top-left aligned when L ≠ S). */
  causal: boolean;
}

/** Settings of the fused normalization primitives (layerNorm, batchNorm). */
export interface NormParams {
  /** How many leading dims of the views index rows; each row is normalized over the remaining dims. */
  rowDims: number;
  /** Added to the variance before its inverse square root. */
  eps: number;
}

/**
 * Settings of {@link Backend.quantize}: q = clamp(zeroPoint + round(x·inv), qmin, qmax), the
 * product rounded to float32 and the rounding half to even.
 */
export interface QuantizeParams {
  /** float32 reciprocal of the scale (1f / scale, as PyTorch multiplies by it). */
  inv: number;
  /** Integer added after rounding (NaN inputs become it). */
  zeroPoint: number;
  /** Smallest stored value. */
  qmin: number;
  /** Largest stored value. */
  qmax: number;
}

/**
 * What {@link Backend.requantize} writes: `'quantized'` the clamped integers q (int8/uint8 out),
 * `'dequantize'` them as float32 (q − outZeroPoint)·outScale, `'float'` the products scaled to
 * float32 without requantization (dynamic quantization).
 */
export type RequantizeMode = 'quantized' | 'dequantize' | 'float';

/** Settings of {@link Backend.requantize} (scalars; per-channel values come as views). */
export interface RequantizeParams {
  mode: RequantizeMode;
  /** x_scale ('float' mode). */
  inputScale: number;
  /** Output scale and zero point, clamp range ('quantized' and 'dequantize'). */
  outScale: number;
  outZeroPoint: number;
  qmin: number;
  qmax: number;
}

/** Settings of {@link Backend.quantizedConv2d}: the requantization's, and the convolution's geometry. */
export interface QuantizedConv2dParams extends RequantizeParams {
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
  groups: number;
  /** The input's zero point as stored in the int8 input: the padding value. */
  inputZeroPoint: number;
  /**
   * Byte outputs only ('quantized' mode): the requantized [N, O, Ho, Wo] bytes max-pooled over 2×2
   * windows with stride 2 (⌊Ho/2⌋ × ⌊Wo/2⌋, out's shape), as `maxPool2dInt8` would. Set on the
   * CPU backend only (ops/quantized-conv.ts composes the convolution, `maxPool2dInt8` and
   * `lookUpBytes` on the others); default false.
   */
  pool?: boolean;
  /** Byte outputs only: every (pooled) byte then mapped through this 256-byte table, as `lookUpBytes`; optional (none). */
  table?: Uint8Array | null;
}

/**
 * Settings of {@link Backend.gloveStep}: the model's sizes, the AdaGrad step's η and gradient
 * clip, and the batch — `count` entries from position `start` of the order (or of the entries).
 */
export interface GloveStepParams {
  /** V: word rows are 0 … V − 1 of the parameters, context rows V … 2V − 1. */
  vocabSize: number;
  /** d: each row holds d vector components then the bias. */
  dim: number;
  /** η of the vector steps. */
  eta: number;
  /** Clip of fdiff·w before η. */
  clip: number;
  /** First position of the batch. */
  start: number;
  /** Entries in the batch. */
  count: number;
}

/**
 * Settings of {@link Backend.adamStep}, the host-side scalars of one Adam/AdamW step (PyTorch's
 * `_single_tensor_adam`). Kernels round each to float32 and compute in float32.
 */
export interface AdamStepParams {
  beta1: number;
  beta2: number;
  eps: number;
  /** λ: added to the gradient as λθ (L2), or shrinking θ by 1 − γλ when `decoupled` (AdamW). */
  weightDecay: number;
  decoupled: boolean;
  /** 1 − γλ, the decoupled decay factor (used only when `decoupled` and λ ≠ 0). */
  decay: number;
  maximize: boolean;
  /** γ/(1 − β₁ᵗ). */
  stepSize: number;
  /** √(1 − β₂ᵗ). */
  biasCorrection2Sqrt: number;
}

/** Settings of {@link Backend.sgdStep} (PyTorch's `_single_tensor_sgd`). */
export interface SgdStepParams {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  maximize: boolean;
  /** The momentum buffer's first step: b ← g instead of μb + (1 − τ)g. */
  isFirstStep: boolean;
}

/** Settings of {@link Backend.rmspropStep} (PyTorch's `_single_tensor_rmsprop`). */
export interface RmspropStepParams {
  lr: number;
  /** Smoothing constant α of the squared-gradient average. */
  alpha: number;
  eps: number;
  weightDecay: number;
  /** Momentum factor μ (a buffer is given exactly when μ > 0). */
  momentum: number;
  maximize: boolean;
}

/** Settings of {@link Backend.adagradStep} (PyTorch's `_single_tensor_adagrad`). */
export interface AdagradStepParams {
  /** The decayed learning rate γ/(1 + (t − 1)·lrDecay) of this step. */
  clr: number;
  eps: number;
  weightDecay: number;
  maximize: boolean;
}

/**
 * Host↔device transfers of tensor data a backend made since it was opened: `writes` host→device
 * copies (`Backend.write`) and `reads` device→host copies (`Backend.read`), with their
 * bytes as moved (WebGPU moves whole 32-bit words: one per element, or per four int8/uint8 elements). Kernel parameters (sizes, offsets,
 * scalar operands) are not tensor data and are not counted.
 * @example
 * ```ts
 * const { writes, writeBytes, reads, readBytes } = transfers().devices.cpu;
 * ```
 */
export interface TransferCounts {
  writes: number;
  writeBytes: number;
  reads: number;
  readBytes: number;
}

/**
 * The primitive set every backend implements. Ops (src/ops) validate, infer shapes and record
 * autograd; backends only compute. Inputs are views (any strides); `out` is a fresh contiguous
 * storage of the op's output shape unless stated otherwise. Kernels never re-validate.
 */
export interface Backend {
  readonly name: DeviceName;

  // ── memory ──────────────────────────────────────────────────────────────
  alloc(dtype: DType, size: number): Storage;
  free(storage: Storage): void;
  /** Copy host data into a storage (same length and dtype). */
  write(storage: Storage, data: TypedArray): void;
  /** Read a view back as a new contiguous typed array of the storage's dtype. */
  read(x: View): Promise<TypedArray>;
  /** Synchronous read; only backends whose memory is host memory provide it. */
  readSync?(x: View): TypedArray;
  /** Bytes of the derived copies the backend keeps of storages' values (packed int8 weights): `memory().packed`; absent: none. */
  derivedBytes?(): number;
  /**
   * A read-only one-element storage holding `value` (cast to `dtype`), made without a host→device
   * write: on WebGPU it has no buffer and travels to kernels as a parameter. Only `unary`,
   * `binary`, `where`, `copy` (as the source) and `read` may be given a view of it.
   */
  constant(dtype: DType, value: number): Storage;
  /** Transfers of tensor data since this backend was opened. */
  transfers(): TransferCounts;

  // ── data movement ───────────────────────────────────────────────────────
  /** out[i] = value for every element of the (possibly strided) view `out`. */
  fill(out: View, value: number): void;
  /**
   * out[i] = start + i·step for a fresh contiguous int32 or float32 storage, computed on the device
   * in int32 (so `start`, `step` and every value are integers of magnitude < 2^24: exact in both).
   */
  arange(out: Storage, start: number, step: number): void;
  /**
   * Optional: `out` (fresh, contiguous int32) ← the permutation `Generator.permutation(out.size)`
   * draws from the Philox stream (key0, key1) at block `counter`, made on the device (backends
   * without it get the host's permutation uploaded).
   */
  permutation?(out: Storage, key0: number, key1: number, counter: number): void;
  /** Strided copy with dtype conversion: out[i] = cast(x[i]); `out` may be any view of equal shape. */
  copy(x: View, out: View): void;

  // ── elementwise (inputs already broadcast to the output shape through strides) ─
  unary(op: UnaryOp, x: View, out: Storage): void;
  binary(op: BinaryOp, a: View, b: View, out: Storage): void;
  where(cond: View, a: View, b: View, out: Storage): void;

  // ── reductions: output has the input's shape with reduced dims of size 1 ──
  reduce(op: ReduceOp, x: View, dims: readonly number[], out: Storage): void;
  /** Index (int32) of the max/min along `dim`; first occurrence wins. */
  argReduce(op: ArgReduceOp, x: View, dim: number, out: Storage): void;

  // ── sorting and scans along one dim ─────────────────────────────────────
  /**
   * Stable sort order along `dim`: `out` (int32, contiguous, x's shape) gets, for each line along
   * `dim`, the positions of x's values in ascending (or `descending`) order. NaN orders as the
   * largest value (last ascending, first descending), −0 equals +0, and equal values keep their
   * input order in both directions. A 0-d x is one line of length 1.
   */
  argsort(x: View, dim: number, descending: boolean, out: Storage): void;
  /**
   * Inclusive scan along `dim` (from the end when `reverse`): out[…i…] = x[…0…] ∘ … ∘ x[…i…] with ∘
   * the sum or product; x and the contiguous `out` share shape and dtype (float32 or int32; int32
   * wraps modulo 2³²). The summation order may differ between backends (float32 rounding).
   */
  scan(op: ScanOp, x: View, dim: number, reverse: boolean, out: Storage): void;

  // ── data-dependent shapes (nonzero, maskedSelect, unique) ───────────────
  /**
   * Stream compaction: `counts` (int32, 1-D, numel(shape) long) is the inclusive running count of
   * the flagged elements of a tensor of `shape`, row-major, so element i is flagged where
   * counts[i] exceeds counts[i − 1] (0 before the first). Row k of the contiguous int32 `out`
   * [count, rank] gets the coordinates in `shape` of the (k+1)-th flagged element, in input order.
   */
  compact(counts: View, shape: Shape, out: Storage): void;

  // ── linear algebra ─────────────────────────────────────────────────────
  /**
   * a: [...batch, M, K], b: [...batch, K, N] (same batch shape, broadcast via strides) → out [...batch, M, N]:
   * float32 × float32 → float32, or int8 × int8 → int32 (exact products, int32 wrap-around sums).
   */
  matmul(a: View, b: View, out: Storage): void;

  // ── neural ─────────────────────────────────────────────────────────────
  /**
   * x [N, C, H, W], w [O, C/groups, kh, kw] → out [N, O, Ho, Wo], all contiguous; with `bias` [O],
   * plus bias[o] in channel o (one float32 addition per element, the bits of a separate add).
   */
  conv2d(x: View, w: View, out: Storage, outShape: Shape, p: Conv2dParams, bias?: View | null): void;
  /** ∂L/∂x of conv2d: gy [N, O, Ho, Wo], w → out [N, C, H, W] (`outShape`). */
  conv2dBackwardInput(gy: View, w: View, out: Storage, outShape: Shape, p: Conv2dParams): void;
  /**
   * ∂L/∂w of conv2d: x [N, C, H, W], gy [N, O, Ho, Wo] → out [O, C/groups, kh, kw] (`outShape`);
   * with `bias`, also the bias gradient: gy summed over `bias.dims` into `bias.out`, exactly as
   * `reduce('sum', gy, bias.dims, bias.out)`.
   */
  conv2dBackwardWeight(x: View, gy: View, out: Storage, outShape: Shape, p: Conv2dParams, bias?: { out: Storage; dims: readonly number[] } | null): void;
  /**
   * Max pooling of x [N, C, H, W]: each window's maximum → out and its flat index (h·W + w, int32;
   * the first maximum, or the first NaN) → indices, both [N, C, Ho, Wo] (`outShape`).
   */
  maxPool2d(x: View, out: Storage, indices: Storage, outShape: Shape, p: Pool2dParams): void;
  /** Gradient of maxPool2d: zeros of `outShape` [N, C, H, W] plus each gy at its window's index (contiguous gy and indices). */
  maxPool2dBackward(gy: View, indices: View, out: Storage, outShape: Shape): void;
  /**
   * Max pooling of an int8 or uint8 x [N, C, H, W] (contiguous; quantized activations): each window's
   * maximum → out (x's dtype) [N, C, Ho, Wo]; padding never wins, an all-padding window takes the
   * nearest in-plane value (as maxPool2d's index). No indices: integer tensors have no gradient.
   */
  maxPool2dInt8(x: View, out: Storage, outShape: Shape, p: Pool2dParams): void;
  /** Window means of x [N, C, H, W] → out [N, C, Ho, Wo]. */
  avgPool2d(x: View, out: Storage, outShape: Shape, p: AvgPool2dParams): void;
  /** Gradient of avgPool2d: gy [N, C, Ho, Wo] → out [N, C, H, W] (`outShape`). */
  avgPool2dBackward(gy: View, out: Storage, outShape: Shape, p: AvgPool2dParams): void;
  /** softmax (or log-softmax when `log`) of x along `dim`. */
  softmax(x: View, dim: number, log: boolean, out: Storage): void;
  /**
   * Row normalization, the core of layerNorm and batchNorm. The views x, weight, bias and out share
   * one shape [...rows, ...cols] (`p.rowDims` row dims; weight and bias broadcast through stride 0,
   * null meaning 1 and 0). For each row, with the mean μ and biased variance σ² of its cols:
   * out = (x − μ)/√(σ² + eps)·weight + bias. `out` views a fresh storage with any strides (batchNorm
   * reads and writes channels-first through a permuted view). Writes μ and σ² to the contiguous
   * [rows] storages `mean` and `variance`; a row without cols gets unspecified statistics.
   */
  normalize(x: View, weight: View | null, bias: View | null, out: View, mean: Storage, variance: Storage, p: NormParams): void;
  /**
   * ∂L/∂x of {@link Backend.normalize} from its saved statistics (`mean`, `variance`: [rows], read
   * contiguously from their offsets): with r = 1/√(σ² + eps), x̂ = (x − μ)·r and g = gy·weight,
   * gx = r·(g − mean(g) − x̂·mean(g·x̂)) over each row's cols. gx views a fresh storage like `out`.
   * When `gyXhat` (a view like gx) is given, it also gets gy·x̂ elementwise: ∂L/∂weight before its
   * sum over the broadcast dims, from the same pass.
   */
  normalizeBackward(x: View, weight: View | null, gy: View, mean: View, variance: View, gx: View, gyXhat: View | null, p: NormParams): void;

  // ── indexing ───────────────────────────────────────────────────────────
  /** out[...i...] = x[... index[...i...] at `dim` ...]; out has index's shape. */
  gather(x: View, dim: number, index: View, out: Storage): void;
  /**
   * In place on the contiguous `out` of `outShape` starting at element `outOffset` (default 0):
   * out[... index[i] at `dim` ...] += src[i]. Index and src may be any views (stride 0 included).
   */
  scatterAdd(out: Storage, outShape: Shape, dim: number, index: View, src: View, outOffset?: number): void;

  // ── fused attention (online softmax, no [L, S] matrix in memory) ──────────
  /**
   * softmax(q·kᵀ·scale + mask)·v for q [...batch, L, E], k [...batch, S, E], v [...batch, S, Ev]
   * and `mask` [...batch, L, S] or null (all views of one batch shape, broadcast through stride 0;
   * a bool mask keeps the `true` positions, a float mask is added). Writes the contiguous
   * out [...batch, L, Ev] and the per-row log Σ exp of the masked scores, lse [...batch, L]
   * (−∞ for a fully masked row, whose out is NaN).
   */
  attention(q: View, k: View, v: View, mask: View | null, out: Storage, lse: Storage, p: AttentionParams): void;
  /**
   * Gradients of {@link Backend.attention} from its saved `out` and `lse` and ∂L/∂out `gOut`
   * [...batch, L, Ev], recomputing the scores blockwise: writes the contiguous gq [...batch, L, E],
   * gk [...batch, S, E] and gv [...batch, S, Ev] (full batch shape; the op sums broadcast dims).
   */
  attentionBackward(
    q: View,
    k: View,
    v: View,
    mask: View | null,
    out: View,
    lse: View,
    gOut: View,
    gq: Storage,
    gk: Storage,
    gv: Storage,
    p: AttentionParams,
  ): void;

  // ── int8 inference ────────────────────────────────────────────────────────
  /** {@link QuantizeParams} of the contiguous float32 `x` into the int8/uint8 `out`. */
  quantize(x: View, p: QuantizeParams, out: Storage): void;
  /** out[i] = table[x[i] read as an unsigned byte], x int8/uint8 contiguous, out int8/uint8 (a requantization's 256 results). */
  lookUpBytes(x: View, table: Uint8Array, out: Storage): void;
  /**
   * Epilogue of an int8 GEMM, on contiguous views: acc int32 [M, N], columnTerm int32 [N]
   * (−x_zp·Σₖ w[j, k] + K·x_zp·w_zp[j]), multiplier float32 [N], bias float32 [N] or null, and for
   * affine weights their zero points int32 [N] with the input's row sums int32 [M] (else null).
   * In wrapping int32: raw = acc + columnTerm[j] − w_zp[j]·rsum[i]; then in float32, f = float(raw):
   * 'float': y = f·x_scale·mult[j] (+ bias[j]); otherwise f += bias[j] (the bias term),
   * q = clamp(round(f·mult[j]) + outZeroPoint, qmin, qmax) (half to even), written as q or
   * (q − outZeroPoint)·outScale.
   */
  requantize(
    acc: View,
    columnTerm: View,
    multiplier: View,
    bias: View | null,
    affine: { weightZeroPoints: View; inputRowSums: View } | null,
    p: RequantizeParams,
    out: Storage,
  ): void;
  /**
   * int8 convolution with the {@link Backend.requantize} epilogue, NCHW in and out (contiguous
   * views): x int8 [N, C, H, W] padded with `inputZeroPoint`, weight int8 [O, C/groups, kh, kw];
   * acc[n, o, p] = Σ x·w over the window (int32), then with the per-channel columnTerm int32
   * [O], multiplier float32 [O], bias float32 [O] or null, and for affine weights their zero
   * points int32 [O] (times each window's Σ x) exactly as `requantize`, written to out [N, O, Ho, Wo].
   */
  quantizedConv2d(
    x: View,
    weight: View,
    columnTerm: View,
    multiplier: View,
    bias: View | null,
    weightZeroPoints: View | null,
    p: QuantizedConv2dParams,
    out: Storage,
  ): void;

  // ── training primitives (in place) ───────────────────────────────────────
  /**
   * One batch of GloVe updates, in place on the contiguous float32 `params` and `gradsq`
   * ([2V, d + 1], bias last in each row). Entry a (a = order[start + i] when `order` is given, else
   * start + i, for i < count) joins word row rows[a] and context row V + cols[a] (int32) with
   * log X = logX[a] and weight f(X) = weight[a] (float32): diff = wᵢ·w̃ⱼ + bᵢ + b̃ⱼ − log X,
   * fdiff = f·diff; entries with a non-finite diff or fdiff (or an id out of range) are skipped;
   * g = clip(fdiff·other, ±clip)·η, w −= g/√G, G += g² for both vectors (each from the other's
   * pre-update value), b −= fdiff/√G_b, G_b += fdiff². Adds Σ ½·fdiff·diff of the batch into the
   * contiguous float32 `cost` (spread over its elements: their sum grows by the batch's cost).
   * The CPU applies the entries in order; WebGPU applies them concurrently, lock-free (entries of
   * one batch sharing a row race, as in Hogwild).
   */
  gloveStep(params: View, gradsq: View, rows: View, cols: View, logX: View, weight: View, order: View | null, cost: View, p: GloveStepParams): void;
  /**
   * One Adam/AdamW step in place, one pass over memory: with g = ±grad (+ λθ unless decoupled;
   * θ ← θ(1 − γλ) when decoupled), m ← β₁m + (1 − β₁)g, v ← β₂v + ((1 − β₂)g)g,
   * v_max ← max(v_max, v) when `maxExpAvgSq` is given, θ ← θ − stepSize·m/(√v̂/√(1 − β₂ᵗ) + ε),
   * each operation rounded to float32. All views are float32, contiguous, of one element count
   * and on distinct storages (the op checks).
   */
  adamStep(param: View, grad: View, expAvg: View, expAvgSq: View, maxExpAvgSq: View | null, p: AdamStepParams): void;
  /**
   * One SGD step in place: g = ±grad (+ λθ), with momentum b ← g on the first step else
   * μb + (1 − τ)g, then g ← g + μb (Nesterov) or b; θ ← θ − γg; float32. `momentumBuffer` is
   * null exactly when μ = 0. Views as in {@link Backend.adamStep}.
   */
  sgdStep(param: View, grad: View, momentumBuffer: View | null, p: SgdStepParams): void;
  /**
   * One RMSprop step in place: g = ±grad (+ λθ), v ← vα + ((1 − α)g)g, when centered
   * gₐ ← gₐα + (1 − α)g and d = √(v − gₐgₐ) + ε, else d = √v + ε; with momentum b ← bμ + g/d and
   * θ ← θ − γb, else θ ← θ − γ(g/d); float32. `gradAvg` is null unless centered, `momentumBuffer`
   * null exactly when μ = 0. Views as in {@link Backend.adamStep}.
   */
  rmspropStep(param: View, grad: View, squareAvg: View, gradAvg: View | null, momentumBuffer: View | null, p: RmspropStepParams): void;
  /**
   * One Adagrad step in place: g = ±grad (+ λθ), s ← s + gg, θ ← θ − clr·(g/(√s + ε)); float32.
   * Views as in {@link Backend.adamStep}.
   */
  adagradStep(param: View, grad: View, stateSum: View, p: AdagradStepParams): void;
}

/**
 * The arguments of the primitive `K`, for an implementation that takes them in the interface's
 * order without restating the list (`(...args: PrimitiveArgs<'attentionBackward'>)`).
 */
export type PrimitiveArgs<K extends keyof Backend> = Backend[K] extends (...args: infer A) => unknown ? A : never;
