import type { Backend, Storage, View } from '../backend/backend';
import { fromArray } from '../creation';
import { ArgumentError, checkOptions, DeviceError, DTypeError, ShapeError } from '../errors';
import { scope } from '../memory';
import { defineOp, type OpFn, type OpSpec } from '../ops/define-op';
import type { Tensor } from '../tensor';
import { type Mat, cholesky as cholMat, householderQr, jacobiEigh, jacobiSvd, luFactor, luSolve, mat } from './dense';

/**
 * The factorizations of `linalg` as ops: float32 tensors of matrices ([..., m, n], batched over the
 * leading dims), factored on the host in float64 (./dense.ts) and written back as float32. They
 * run on the CPU backend, whose memory the host reads synchronously; a WebGPU tensor is a
 * DeviceError that says how to move it. Gradients, PyTorch's formulas, are next to each op and
 * compose differentiable tensor ops, so they run wherever those do.
 */

const mT = (t: Tensor): Tensor => t.transpose(-1, -2);

/** dtype, rank and device checks shared by every factorization; returns [batch, m, n]. */
export function checkMatrix(op: string, a: Tensor, square = false): [number, number, number] {
  if (a.dtype !== 'float32') throw new DTypeError(op, `expected a float32 tensor, got ${a.dtype}`);
  if (a.ndim < 2) throw new ShapeError(op, `expected a matrix or a batch of matrices [..., m, n], got shape [${a.shape.join(', ')}]`);
  const m = a.shape.at(-2)!;
  const n = a.shape.at(-1)!;
  if (square && m !== n) throw new ShapeError(op, `expected square matrices [..., n, n], got shape [${a.shape.join(', ')}]`);
  if (a.device !== 'cpu')
    throw new DeviceError(op, `runs on the CPU backend (float64 factorization on the host); move the tensor first: await x.toDevice('cpu')`);
  return [a.shape.slice(0, -2).reduce((p, d) => p * d, 1), m, n];
}

/** The matrices of a [..., m, n] view as float64, one per batch entry. */
function matrices(be: Backend, x: View): Mat[] {
  const data = be.readSync!(x);
  const m = x.shape.at(-2)!;
  const n = x.shape.at(-1)!;
  const count = data.length / (m * n) || 0;
  return Array.from({ length: count }, (_, b) => mat(m, n, Float64Array.from(data.subarray(b * m * n, (b + 1) * m * n))));
}

/** Write float64 blocks (in batch order) into a float32 storage. */
function store(be: Backend, out: Storage, blocks: Float64Array[]): void {
  const all = new Float32Array(out.size);
  let o = 0;
  for (const b of blocks) {
    all.set(b, o);
    o += b.length;
  }
  be.write(out, all);
}

const batchShape = (a: Tensor) => a.shape.slice(0, -2);

// ── LU: inv, solve, det, slogdet ────────────────────────────────────────────
/**
 * The op that maps each square matrix of the batch to one of the same shape: `each(x, b)` gives
 * the b-th result's entries (row-major). A plain call, not an object spread into defineOp's
 * spec: bundlers keep a spread (it may run getters), and with it the whole library in every app.
 */
/* @__NO_SIDE_EFFECTS__ */
function eachSquareMatrix(op: string, each: (x: Mat, b: number) => Float64Array, backward: OpSpec<undefined>['backward']): OpFn<undefined> {
  return defineOp<undefined>(op, {
    infer: ([a]) => {
      checkMatrix(op, a, true);
      return { shape: [...a.shape], dtype: 'float32' };
    },
    forward: (be, [a], out) => store(be, out, matrices(be, a).map(each)),
    backward,
  });
}

const invOp = eachSquareMatrix(
  'linalg.inv',
  (x, b) => {
    const lu = luFactor(x);
    if (lu.singular) throw new ShapeError('linalg.inv', `matrix ${b} of the batch is singular (a zero pivot in its LU factorization)`);
    const eye = mat(x.n, x.n);
    for (let i = 0; i < x.n; i++) eye.a[i * x.n + i] = 1;
    return luSolve(lu, eye).a;
  },
  // Y = A⁻¹: dA = −Yᵀ G Yᵀ
  (gy, _inputs, out) => [() => scope(() => mT(out).matmul(gy).matmul(mT(out)).neg())],
);

const solveOp: OpFn<undefined> = defineOp<undefined>('linalg.solve', {
  infer: ([a, b]) => {
    const [, n] = checkMatrix('linalg.solve', a, true);
    checkMatrix('linalg.solve', b);
    if (b.shape.at(-2) !== n || b.ndim !== a.ndim || batchShape(b).some((d, i) => d !== a.shape[i]))
      throw new ShapeError('linalg.solve', `B must be [..., ${n}, k] with A's batch dims, got A [${a.shape.join(', ')}] and B [${b.shape.join(', ')}]`);
    return { shape: [...b.shape], dtype: 'float32' };
  },
  forward: (be, [a, b], out) => {
    const bs = matrices(be, b);
    store(
      be,
      out,
      matrices(be, a).map((x, i) => {
        const lu = luFactor(x);
        if (lu.singular) throw new ShapeError('linalg.solve', `matrix ${i} of A's batch is singular (a zero pivot in its LU factorization)`);
        return luSolve(lu, bs[i]).a;
      }),
    );
  },
  // X = A⁻¹B: gB = A⁻ᵀ G, gA = −gB Xᵀ
  backward: (gy, [a], out) => {
    const gb = (): Tensor => solveOp([mT(a).contiguous(), gy], undefined);
    return [() => scope((): Tensor => gb().matmul(mT(out)).neg()), gb];
  },
});

const slogdetOp = defineOp<undefined, 'sign'>('linalg.slogdet', {
  outputs: ['sign'],
  infer: ([a]) => {
    checkMatrix('linalg.slogdet', a, true);
    return { shape: batchShape(a), dtype: 'float32', outputs: { sign: { shape: batchShape(a), dtype: 'float32' } } };
  },
  forward: (be, [a], out, _attrs, _shape, { sign }) => {
    const logs: number[] = [];
    const signs: number[] = [];
    for (const x of matrices(be, a)) {
      const { lu, sign: s, singular } = luFactor(x);
      let log = 0;
      let sg = s;
      for (let i = 0; i < x.n; i++) {
        const d = lu.a[i * x.n + i];
        log += Math.log(Math.abs(d));
        if (d < 0) sg = -sg;
      }
      logs.push(singular ? -Infinity : log);
      signs.push(singular ? 0 : sg);
    }
    store(be, out, [Float64Array.from(logs)]);
    store(be, sign, [Float64Array.from(signs)]);
  },
  // d log|det A| = tr(A⁻¹ dA): gA = G·A⁻ᵀ
  backward: (gy, [a]) => [() => scope(() => mT(invOp([a], undefined)).mul(gy.unsqueeze(-1).unsqueeze(-1)))],
});

/**
 * Inverse of square matrices (batched), like `torch.linalg.inv`; a singular matrix is a ShapeError.
 * @example
 * ```ts
 * linalg.inv(tensor([[2, 0], [0, 4]])); // [[0.5, 0], [0, 0.25]]
 * ```
 */
export function inv(a: Tensor): Tensor {
  return invOp([a], undefined);
}

/**
 * X with A X = B (`torch.linalg.solve`): A [..., n, n], B [..., n, k] or [..., n] (a vector).
 * @example
 * ```ts
 * linalg.solve(tensor([[2, 1], [1, 3]]), tensor([3, 5])); // [0.8, 1.4]
 * ```
 */
export function solve(a: Tensor, b: Tensor): Tensor {
  if (b.ndim === a.ndim - 1) return scope(() => solveOp([a, b.unsqueeze(-1)], undefined).squeeze(-1));
  return solveOp([a, b], undefined);
}

/**
 * Sign and log of the absolute determinant (`torch.linalg.slogdet`): sign 0 and logabsdet −∞ for
 * a singular matrix. Differentiable through `logabsdet`.
 * @example
 * ```ts
 * const { sign, logabsdet } = linalg.slogdet(tensor([[0, 2], [3, 0]])); // sign −1, logabsdet log 6
 * ```
 */
export function slogdet(a: Tensor): { sign: Tensor; logabsdet: Tensor } {
  const { out, outputs } = slogdetOp([a], undefined);
  return { sign: outputs.sign, logabsdet: out };
}

/**
 * Determinant (`torch.linalg.det`), from the LU factorization; its gradient is det·A⁻ᵀ (so, as in
 * PyTorch's default path, it needs an invertible matrix).
 * @example
 * ```ts
 * linalg.det(tensor([[1, 2], [3, 4]])); // -2
 * ```
 */
export function det(a: Tensor): Tensor {
  return scope(() => {
    const { sign, logabsdet } = slogdet(a);
    return sign.mul(logabsdet.exp());
  });
}

// ── Cholesky ────────────────────────────────────────────────────────────────
const choleskyOp = eachSquareMatrix(
  'linalg.cholesky',
  (x, b) => {
    const l = cholMat(x);
    if (!l) throw new ShapeError('linalg.cholesky', `matrix ${b} of the batch is not positive-definite`);
    return l.a;
  },
  // PyTorch's rule: S = L⁻ᵀ Φ(Lᵀ Ḡ) L⁻¹ with Φ = lower triangle, diagonal halved; gA = ½(S + Sᵀ)
  (gy, _inputs, l) => [
    () =>
      scope(() => {
        const n = l.shape.at(-1)!;
        const lower = lowerMask(n, 0.5);
        const phi = mT(l).matmul(gy).mul(lower);
        const linv = invOp([l], undefined);
        const s = mT(linv).matmul(phi).matmul(linv);
        return s.add(mT(s)).mul(0.5);
      }),
  ],
);

/** [n, n] float32 on the CPU: 1 below the diagonal, `diagonal` on it, 0 above. */
function lowerMask(n: number, diagonal: number): Tensor {
  const data = new Float32Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) data[i * n + j] = i === j ? diagonal : 1;
  return fromArray(data, [n, n], { device: 'cpu' }, 'linalg.cholesky');
}

/**
 * Lower-triangular L with A = L Lᵀ for symmetric positive-definite A (`torch.linalg.cholesky`;
 * only the lower triangle of A is read). Not positive-definite: a ShapeError.
 * @example
 * ```ts
 * linalg.cholesky(tensor([[4, 2], [2, 5]])); // [[2, 0], [1, 2]]
 * ```
 */
export function cholesky(a: Tensor): Tensor {
  return choleskyOp([a], undefined);
}

// ── QR, SVD, eigh ───────────────────────────────────────────────────────────
const qrOp = defineOp<{ complete: boolean }, 'r'>('linalg.qr', {
  outputs: ['r'],
  infer: ([a], { complete }) => {
    const [, m, n] = checkMatrix('linalg.qr', a);
    const k = complete ? m : Math.min(m, n);
    return { shape: [...batchShape(a), m, k], dtype: 'float32', outputs: { r: { shape: [...batchShape(a), k, n], dtype: 'float32' } } };
  },
  forward: (be, [a], out, { complete }, _shape, { r }) => {
    const qs: Float64Array[] = [];
    const rs: Float64Array[] = [];
    for (const x of matrices(be, a)) {
      const f = householderQr(x);
      const k = complete ? x.m : Math.min(x.m, x.n);
      qs.push(columns(f.q, k));
      rs.push(f.r.a.subarray(0, k * x.n));
    }
    store(be, out, qs);
    store(be, r, rs);
  },
});

/** The first k columns of a row-major matrix, row-major. */
function columns(x: Mat, k: number): Float64Array {
  const out = new Float64Array(x.m * k);
  for (let i = 0; i < x.m; i++) for (let j = 0; j < k; j++) out[i * k + j] = x.a[i * x.n + j];
  return out;
}

/**
 * QR decomposition by Householder reflections (`torch.linalg.qr`): `mode` 'reduced' (default; Q
 * [..., m, k], R [..., k, n], k = min(m, n)) or 'complete' (Q [..., m, m]). Not differentiable.
 * @example
 * ```ts
 * const { Q, R } = linalg.qr(tensor([[3, 1], [4, 2]])); // Q·R = A, Qᵀ·Q = I, R upper-triangular
 * ```
 */
export function qr(a: Tensor, opts: { mode?: 'reduced' | 'complete' } = {}): { Q: Tensor; R: Tensor } {
  checkOptions('linalg.qr', opts, ['mode']);
  const mode = opts.mode ?? 'reduced';
  if (mode !== 'reduced' && mode !== 'complete') throw new ArgumentError('linalg.qr', `unknown mode '${String(mode)}' (expected 'reduced' or 'complete')`);
  const { out, outputs } = qrOp([a], { complete: mode === 'complete' });
  return { Q: out, R: outputs.r };
}

const svdOp = defineOp<undefined, 'u' | 'vh'>('linalg.svd', {
  outputs: ['u', 'vh'],
  infer: ([a]) => {
    const [, m, n] = checkMatrix('linalg.svd', a);
    const k = Math.min(m, n);
    const b = batchShape(a);
    return { shape: [...b, k], dtype: 'float32', outputs: { u: { shape: [...b, m, k], dtype: 'float32' }, vh: { shape: [...b, k, n], dtype: 'float32' } } };
  },
  forward: (be, [a], out, _attrs, _shape, { u, vh }) => {
    const ss: Float64Array[] = [];
    const us: Float64Array[] = [];
    const vs: Float64Array[] = [];
    for (const x of matrices(be, a)) {
      const f = jacobiSvd(x);
      const k = Math.min(x.m, x.n);
      ss.push(f.s.subarray(0, k));
      us.push(columns(f.u, k));
      const v = columns(f.v, k); // n×k → Vᵀ k×n
      const t = new Float64Array(k * x.n);
      for (let i = 0; i < x.n; i++) for (let j = 0; j < k; j++) t[j * x.n + i] = v[i * k + j];
      vs.push(t);
    }
    store(be, out, ss);
    store(be, u, us);
    store(be, vh, vs);
  },
  // singular values only: gA = U diag(gS) Vᵀ
  backward: (gy, _inputs, _out, _attrs, { u, vh }) => [() => scope(() => u.mul(gy.unsqueeze(-2)).matmul(vh))],
});

/**
 * Thin singular value decomposition A = U diag(S) Vh (`torch.linalg.svd(A, full_matrices=False)`),
 * by one-sided Jacobi in float64: S descending, U [..., m, k], Vh [..., k, n], k = min(m, n).
 * Differentiable through S (U and Vh carry no gradient). Signs of singular vectors are not unique.
 * @example
 * ```ts
 * const { U, S, Vh } = linalg.svd(tensor([[3, 0], [0, -2]])); // S = [3, 2]
 * ```
 */
export function svd(a: Tensor): { U: Tensor; S: Tensor; Vh: Tensor } {
  const { out, outputs } = svdOp([a], undefined);
  return { U: outputs.u, S: out, Vh: outputs.vh };
}

/**
 * Singular values, descending (`torch.linalg.svdvals`); differentiable.
 * @example
 * ```ts
 * linalg.svdvals(tensor([[0, 2], [1, 0]])); // [2, 1]
 * ```
 */
export function svdvals(a: Tensor): Tensor {
  const { U, S, Vh } = svd(a);
  U.dispose();
  Vh.dispose();
  return S;
}

const eighOp = defineOp<undefined, 'vectors'>('linalg.eigh', {
  outputs: ['vectors'],
  infer: ([a]) => {
    checkMatrix('linalg.eigh', a, true);
    return { shape: a.shape.slice(0, -1), dtype: 'float32', outputs: { vectors: { shape: [...a.shape], dtype: 'float32' } } };
  },
  forward: (be, [a], out, _attrs, _shape, { vectors }) => {
    const fs = matrices(be, a).map(jacobiEigh);
    store(
      be,
      out,
      fs.map((f) => f.values),
    );
    store(
      be,
      vectors,
      fs.map((f) => f.vectors.a),
    );
  },
  // eigenvalues only: gA = Q diag(gλ) Qᵀ
  backward: (gy, _inputs, _out, _attrs, { vectors }) => [() => scope(() => vectors.mul(gy.unsqueeze(-2)).matmul(mT(vectors)))],
});

/**
 * Eigenvalues (ascending) and eigenvectors (columns) of symmetric matrices (`torch.linalg.eigh`,
 * lower triangle read), by cyclic Jacobi in float64; differentiable through the eigenvalues.
 * @example
 * ```ts
 * const { eigenvalues, eigenvectors } = linalg.eigh(tensor([[2, 1], [1, 2]])); // [1, 3]
 * ```
 */
export function eigh(a: Tensor): { eigenvalues: Tensor; eigenvectors: Tensor } {
  const { out, outputs } = eighOp([a], undefined);
  return { eigenvalues: out, eigenvectors: outputs.vectors };
}
