/**
 * Dense float64 factorizations on the host, for `linalg` (row-major matrices in Float64Arrays).
 * Small and robust rather than blocked: LU with partial pivoting, Cholesky, Householder QR,
 * one-sided Jacobi SVD and cyclic Jacobi for symmetric eigenproblems — the textbook algorithms
 * (Golub & Van Loan, "Matrix Computations", §3.2, §4.2, §5.2, §8.5, §8.6.3), float64 throughout.
 */

/** A row-major m×n matrix. */
export interface Mat {
  m: number;
  n: number;
  a: Float64Array;
}

export function mat(m: number, n: number, a = new Float64Array(m * n)): Mat {
  return { m, n, a };
}

export function transposed(x: Mat): Mat {
  const t = mat(x.n, x.m);
  for (let i = 0; i < x.m; i++) for (let j = 0; j < x.n; j++) t.a[j * x.m + i] = x.a[i * x.n + j];
  return t;
}

/** LU = PA with partial pivoting: `lu` holds L (unit lower, below the diagonal) and U; `perm[i]` is the row of A in row i. */
export interface Lu {
  lu: Mat;
  perm: Int32Array;
  /** +1 or −1: the permutation's sign. */
  sign: number;
  /** An exactly zero pivot was met (the matrix is singular). */
  singular: boolean;
}

export function luFactor(x: Mat): Lu {
  const n = x.n;
  const a = Float64Array.from(x.a);
  const perm = Int32Array.from({ length: n }, (_, i) => i);
  let sign = 1;
  let singular = false;
  for (let k = 0; k < n; k++) {
    let p = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(a[i * n + k]) > Math.abs(a[p * n + k])) p = i;
    if (p !== k) {
      for (let j = 0; j < n; j++) [a[k * n + j], a[p * n + j]] = [a[p * n + j], a[k * n + j]];
      [perm[k], perm[p]] = [perm[p], perm[k]];
      sign = -sign;
    }
    const pivot = a[k * n + k];
    if (pivot === 0) {
      singular = true;
      continue;
    }
    for (let i = k + 1; i < n; i++) {
      const f = (a[i * n + k] /= pivot);
      if (f !== 0) for (let j = k + 1; j < n; j++) a[i * n + j] -= f * a[k * n + j];
    }
  }
  return { lu: mat(n, n, a), perm, sign, singular };
}

/** X with A X = B from A's LU (B: n×k). */
export function luSolve({ lu, perm }: Lu, b: Mat): Mat {
  const n = lu.n;
  const k = b.n;
  const x = mat(n, k);
  for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) x.a[i * k + j] = b.a[perm[i] * k + j];
  for (let i = 0; i < n; i++)
    for (let r = 0; r < i; r++) {
      const f = lu.a[i * n + r];
      if (f !== 0) for (let j = 0; j < k; j++) x.a[i * k + j] -= f * x.a[r * k + j];
    }
  for (let i = n - 1; i >= 0; i--) {
    for (let r = i + 1; r < n; r++) {
      const f = lu.a[i * n + r];
      if (f !== 0) for (let j = 0; j < k; j++) x.a[i * k + j] -= f * x.a[r * k + j];
    }
    const d = lu.a[i * n + i];
    for (let j = 0; j < k; j++) x.a[i * k + j] /= d;
  }
  return x;
}

/** L with A = L Lᵀ, or null if A is not (numerically) positive-definite. Reads the lower triangle. */
export function cholesky(x: Mat): Mat | null {
  const n = x.n;
  const l = mat(n, n);
  for (let j = 0; j < n; j++) {
    let d = x.a[j * n + j];
    for (let k = 0; k < j; k++) d -= l.a[j * n + k] ** 2;
    if (!(d > 0)) return null;
    const ljj = Math.sqrt(d);
    l.a[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let s = x.a[i * n + j];
      for (let k = 0; k < j; k++) s -= l.a[i * n + k] * l.a[j * n + k];
      l.a[i * n + j] = s / ljj;
    }
  }
  return l;
}

/** Householder QR: Q m×m (complete) and R m×n, A = QR. The reduced form is Q[:, :k], R[:k]. */
export function householderQr(x: Mat): { q: Mat; r: Mat } {
  const { m, n } = x;
  const r = mat(m, n, Float64Array.from(x.a));
  const q = mat(m, m);
  for (let i = 0; i < m; i++) q.a[i * m + i] = 1;
  const v = new Float64Array(m);
  for (let k = 0; k < Math.min(m - 1, n); k++) {
    let norm = 0;
    for (let i = k; i < m; i++) norm += r.a[i * n + k] ** 2;
    norm = Math.sqrt(norm);
    if (norm === 0) continue;
    const alpha = r.a[k * n + k] > 0 ? -norm : norm;
    let vnorm = 0;
    for (let i = k; i < m; i++) {
      v[i] = r.a[i * n + k] - (i === k ? alpha : 0);
      vnorm += v[i] ** 2;
    }
    if (vnorm === 0) continue;
    // R ← (I − 2vvᵀ/vᵀv) R, Q ← Q (I − 2vvᵀ/vᵀv)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let i = k; i < m; i++) s += v[i] * r.a[i * n + j];
      const f = (2 * s) / vnorm;
      for (let i = k; i < m; i++) r.a[i * n + j] -= f * v[i];
    }
    for (let i = 0; i < m; i++) {
      let s = 0;
      for (let l = k; l < m; l++) s += q.a[i * m + l] * v[l];
      const f = (2 * s) / vnorm;
      for (let l = k; l < m; l++) q.a[i * m + l] -= f * v[l];
    }
    for (let i = k + 1; i < m; i++) r.a[i * n + k] = 0;
  }
  return { q, r };
}

/**
 * Thin SVD by one-sided Jacobi (Hestenes): A = U diag(S) Vᵀ with U m×k, S descending, V n×k,
 * k = min(m, n). Columns of U for zero singular values are completed to an orthonormal set.
 */
export function jacobiSvd(x: Mat): { u: Mat; s: Float64Array; v: Mat } {
  if (x.m < x.n) {
    const t = jacobiSvd(transposed(x));
    return { u: t.v, s: t.s, v: t.u };
  }
  const { m, n } = x;
  const u = mat(m, n, Float64Array.from(x.a));
  const v = mat(n, n);
  for (let i = 0; i < n; i++) v.a[i * n + i] = 1;
  const eps = 2.220446049250313e-16;
  for (let sweep = 0; sweep < 80; sweep++) {
    let rotated = false;
    for (let p = 0; p < n - 1; p++)
      for (let q = p + 1; q < n; q++) {
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        for (let i = 0; i < m; i++) {
          const up = u.a[i * n + p];
          const uq = u.a[i * n + q];
          alpha += up * up;
          beta += uq * uq;
          gamma += up * uq;
        }
        if (gamma === 0 || Math.abs(gamma) <= eps * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        for (let i = 0; i < m; i++) {
          const up = u.a[i * n + p];
          const uq = u.a[i * n + q];
          u.a[i * n + p] = c * up - s * uq;
          u.a[i * n + q] = s * up + c * uq;
        }
        for (let i = 0; i < n; i++) {
          const vp = v.a[i * n + p];
          const vq = v.a[i * n + q];
          v.a[i * n + p] = c * vp - s * vq;
          v.a[i * n + q] = s * vp + c * vq;
        }
      }
    if (!rotated) break;
  }
  const sv = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let i = 0; i < m; i++) s += u.a[i * n + j] ** 2;
    sv[j] = Math.sqrt(s);
  }
  const order = Array.from({ length: n }, (_, j) => j).sort((a, b) => sv[b] - sv[a] || a - b);
  const uo = mat(m, n);
  const vo = mat(n, n);
  const so = new Float64Array(n);
  const tiny = (sv[order[0]] || 1) * eps * Math.max(m, n);
  order.forEach((j, c) => {
    so[c] = sv[j];
    for (let i = 0; i < n; i++) vo.a[i * n + c] = v.a[i * n + j];
    if (sv[j] > tiny) for (let i = 0; i < m; i++) uo.a[i * n + c] = u.a[i * n + j] / sv[j];
  });
  completeColumns(uo, (c) => so[c] > tiny);
  return { u: uo, s: so, v: vo };
}

/** Replace the columns `keep(c)` rejects by unit vectors orthogonal to every other column (Gram–Schmidt on e₁, e₂, …). */
function completeColumns(u: Mat, keep: (c: number) => boolean): void {
  const { m, n } = u;
  let e = 0;
  for (let c = 0; c < n; c++) {
    if (keep(c)) continue;
    for (; e < m; e++) {
      const w = new Float64Array(m);
      w[e] = 1;
      for (let pass = 0; pass < 2; pass++)
        for (let o = 0; o < n; o++) {
          if (o === c || (!keep(o) && o > c)) continue;
          let d = 0;
          for (let i = 0; i < m; i++) d += w[i] * u.a[i * n + o];
          for (let i = 0; i < m; i++) w[i] -= d * u.a[i * n + o];
        }
      const norm = Math.hypot(...w);
      if (norm > 1e-8) {
        for (let i = 0; i < m; i++) u.a[i * n + c] = w[i] / norm;
        e++;
        break;
      }
    }
  }
}

/** Eigen-decomposition of a symmetric matrix (lower triangle read) by cyclic Jacobi: values ascending, vectors as columns. */
export function jacobiEigh(x: Mat): { values: Float64Array; vectors: Mat } {
  const n = x.n;
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      a[i * n + j] = x.a[i * n + j];
      a[j * n + i] = x.a[i * n + j];
    }
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let total = 0;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        total += a[i * n + j] ** 2;
        if (i !== j) off += a[i * n + j] ** 2;
      }
    if (off <= 1e-30 * total || off === 0) break;
    for (let p = 0; p < n - 1; p++)
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (apq === 0) continue;
        const theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(1 + theta * theta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p];
          const akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k];
          const aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p];
          const vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => a[i * n + i] - a[j * n + j] || i - j);
  const values = Float64Array.from(order, (i) => a[i * n + i]);
  const vectors = mat(n, n);
  order.forEach((j, c) => {
    for (let i = 0; i < n; i++) vectors.a[i * n + c] = v[i * n + j];
  });
  return { values, vectors };
}
