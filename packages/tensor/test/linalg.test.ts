import { describe, expect, it } from 'vitest';
import { ArgumentError, DeviceError, DTypeError, gradcheck, linalg, manualSeed, memory, randn, ShapeError, type Tensor, tensor } from '../src/index';

import { DEVICES } from './helpers';
/**
 * linalg against hand-computed values (2×2 and 3×3 cases worked on paper from the definitions),
 * identities (reconstruction, orthogonality) on random matrices, and gradients against central
 * differences.
 */

const arr = (t: Tensor) => Array.from(t.dataSync());
function close(actual: Tensor | number[], expected: number[], tol = 1e-5): void {
  const a = Array.isArray(actual) ? actual : arr(actual);
  expect(a.length).toBe(expected.length);
  a.forEach((v, i) => {
    if (!(Math.abs(v - expected[i]) <= tol * (1 + Math.abs(expected[i])))) expect.fail(`element ${i}: got ${v}, expected ${expected[i]}`);
  });
}
const eye = (n: number) => Array.from({ length: n * n }, (_, i) => (i % (n + 1) === 0 ? 1 : 0));

describe('linalg: LU family', () => {
  it('inv, solve, det, slogdet on hand-worked matrices', () => {
    // [[4, 7], [2, 6]]⁻¹ = 1/10 · [[6, −7], [−2, 4]]
    close(
      linalg.inv(
        tensor([
          [4, 7],
          [2, 6],
        ]),
      ),
      [0.6, -0.7, -0.2, 0.4],
    );
    // 2x + y = 3, x + 3y = 5 → x = 0.8, y = 1.4
    close(
      linalg.solve(
        tensor([
          [2, 1],
          [1, 3],
        ]),
        tensor([3, 5]),
      ),
      [0.8, 1.4],
    );
    close(
      linalg.solve(
        tensor([
          [2, 1],
          [1, 3],
        ]),
        tensor([
          [3, 1],
          [5, 0],
        ]),
      ),
      [0.8, 0.6, 1.4, -0.2],
    );
    close(
      linalg.det(
        tensor([
          [1, 2],
          [3, 4],
        ]),
      ),
      [-2],
    );
    // det [[2, 0, 1], [1, 3, 2], [1, 1, 1]] = 2(3−2) − 0 + 1(1−3) = 0 → singular
    close(
      linalg.det(
        tensor([
          [2, 0, 1],
          [1, 3, 2],
          [1, 1, 1],
        ]),
      ),
      [0],
    );
    close(
      linalg.det(
        tensor([
          [2, 0, 1],
          [1, 3, 2],
          [1, 1, 2],
        ]),
      ),
      [6],
    ); // 2(6−2) − 0 + 1(1−3)
    const { sign, logabsdet } = linalg.slogdet(
      tensor([
        [0, 2],
        [3, 0],
      ]),
    );
    close(sign, [-1]);
    close(logabsdet, [Math.log(6)]);
    const singular = linalg.slogdet(
      tensor([
        [1, 2],
        [2, 4],
      ]),
    );
    expect(arr(singular.sign)).toEqual([0]);
    expect(arr(singular.logabsdet)).toEqual([-Infinity]);
  });

  it('batches over leading dims', () => {
    const a = tensor([
      [
        [2, 0],
        [0, 4],
      ],
      [
        [1, 1],
        [0, 1],
      ],
    ]);
    close(linalg.inv(a), [0.5, 0, 0, 0.25, 1, -1, 0, 1]);
    close(linalg.det(a), [8, 1]);
    expect(
      linalg.solve(
        a,
        tensor([
          [2, 4],
          [3, 1],
        ]),
      ).shape,
    ).toEqual([2, 2]);
  });

  it('gradients match central differences', () => {
    manualSeed(3);
    const a = randn([3, 3]).add(
      tensor([
        [3, 0, 0],
        [0, 3, 0],
        [0, 0, 3],
      ]),
    ); // well conditioned
    const b = randn([3, 2]);
    expect(gradcheck((x) => linalg.inv(x).sum(), [a], { eps: 1e-3, rtol: 2e-2, atol: 1e-3 }).ok).toBe(true);
    expect(
      gradcheck(
        (x, y) =>
          linalg
            .solve(x, y)
            .mul(
              tensor([
                [1, -2],
                [0.5, 1],
                [2, 1],
              ]),
            )
            .sum(),
        [a, b],
        { eps: 1e-3, rtol: 2e-2, atol: 1e-3 },
      ).ok,
    ).toBe(true);
    expect(gradcheck((x) => linalg.det(x), [a], { eps: 1e-3, rtol: 2e-2, atol: 1e-3 }).ok).toBe(true);
    expect(gradcheck((x) => linalg.slogdet(x).logabsdet, [a], { eps: 1e-3, rtol: 2e-2, atol: 1e-3 }).ok).toBe(true);
  });

  it('a singular matrix is a ShapeError for inv and solve; bad input is typed', () => {
    expect(() =>
      linalg.inv(
        tensor([
          [1, 2],
          [2, 4],
        ]),
      ),
    ).toThrow('linalg.inv: matrix 0 of the batch is singular');
    expect(() =>
      linalg.solve(
        tensor([
          [0, 0],
          [0, 0],
        ]),
        tensor([1, 1]),
      ),
    ).toThrow(ShapeError);
    expect(() => linalg.inv(tensor([[1, 2, 3]]))).toThrow('linalg.inv: expected square matrices [..., n, n], got shape [1, 3]');
    expect(() => linalg.inv(tensor([1, 2]))).toThrow(ShapeError);
    expect(() => linalg.inv(tensor([[1]], { dtype: 'int32' }))).toThrow(DTypeError);
    expect(() =>
      linalg.solve(
        tensor([
          [1, 0],
          [0, 1],
        ]),
        tensor([[1, 2, 3]]),
      ),
    ).toThrow(/B must be \[\.\.\., 2, k\]/);
  });
});

describe('linalg: Cholesky, QR, SVD, eigh', () => {
  it('cholesky of [[4, 2], [2, 5]] is [[2, 0], [1, 2]]; its gradient matches differences', () => {
    close(
      linalg.cholesky(
        tensor([
          [4, 2],
          [2, 5],
        ]),
      ),
      [2, 0, 1, 2],
    );
    expect(() =>
      linalg.cholesky(
        tensor([
          [1, 2],
          [2, 1],
        ]),
      ),
    ).toThrow('linalg.cholesky: matrix 0 of the batch is not positive-definite');
    manualSeed(5);
    const m = randn([3, 3]);
    const spd = m.matmul(m.transpose(0, 1)).add(
      tensor([
        [1, 0, 0],
        [0, 1, 0],
        [0, 0, 1],
      ]),
    );
    // symmetrise inside fn so the perturbation of one triangle stays a symmetric matrix, as PyTorch's gradcheck of cholesky does
    const w = tensor([
      [1, 0, 0],
      [2, -1, 0],
      [0.5, 1, 3],
    ]);
    const r = gradcheck(
      (x) =>
        linalg
          .cholesky(x.add(x.transpose(0, 1)).mul(0.5))
          .mul(w)
          .sum(),
      [spd],
      { eps: 1e-3, rtol: 2e-2, atol: 2e-3 },
    );
    expect(r.ok).toBe(true);
  });

  it('qr: Q orthonormal, R upper-triangular, QR = A (reduced and complete)', () => {
    manualSeed(1);
    const a = randn([5, 3]);
    const { Q, R } = linalg.qr(a);
    expect([Q.shape, R.shape]).toEqual([
      [5, 3],
      [3, 3],
    ]);
    close(Q.matmul(R), arr(a), 1e-5);
    close(Q.transpose(0, 1).matmul(Q), eye(3), 1e-5);
    const r = arr(R);
    expect([r[3], r[6], r[7]]).toEqual([0, 0, 0]);
    expect(() => linalg.qr(a, { mdoe: 'complete' } as never)).toThrow(/linalg.qr: unknown option 'mdoe'/);
    expect(() => linalg.qr(a, { mode: 'r' as never })).toThrow("linalg.qr: unknown mode 'r' (expected 'reduced' or 'complete')");
    const full = linalg.qr(a, { mode: 'complete' });
    expect(full.Q.shape).toEqual([5, 5]);
    close(full.Q.transpose(0, 1).matmul(full.Q), eye(5), 1e-5);
    close(full.Q.matmul(full.R), arr(a), 1e-5);
    // Householder on [[3, 1], [4, 2]]: |first column| = 5, so |R₀₀| = 5 and |R₁₁| = |det|/5 = 0.4
    const h = linalg.qr(
      tensor([
        [3, 1],
        [4, 2],
      ]),
    );
    close(arr(h.R).map(Math.abs), [5, 2.2, 0, 0.4]);
  });

  it('svd: singular values of hand-worked matrices, reconstruction and orthogonality, wide and tall', () => {
    close(
      linalg.svdvals(
        tensor([
          [3, 0],
          [0, -2],
        ]),
      ),
      [3, 2],
    );
    // [[1, 1], [1, 1]]: σ = 2, 0 (rank one)
    close(
      linalg.svdvals(
        tensor([
          [1, 1],
          [1, 1],
        ]),
      ),
      [2, 0],
      1e-6,
    );
    // [[2, 0, 0], [0, 0, 1]]ᵀ-style wide matrix: σ = 2, 1
    close(
      linalg.svdvals(
        tensor([
          [2, 0, 0],
          [0, 0, 1],
        ]),
      ),
      [2, 1],
    );
    manualSeed(2);
    for (const shape of [
      [6, 4],
      [4, 6],
      [2, 5, 5],
    ]) {
      const a = randn(shape);
      const { U, S, Vh } = linalg.svd(a);
      const k = Math.min(shape.at(-2)!, shape.at(-1)!);
      close(U.mul(S.unsqueeze(-2)).matmul(Vh), arr(a), 1e-5);
      close(U.transpose(-1, -2).matmul(U), shape.length === 3 ? [...eye(k), ...eye(k)] : eye(k), 1e-5);
      close(Vh.matmul(Vh.transpose(-1, -2)), shape.length === 3 ? [...eye(k), ...eye(k)] : eye(k), 1e-5);
      const s = arr(S);
      for (let i = 1; i < k; i++) expect(s[i]).toBeLessThanOrEqual(s[i - 1]);
    }
    // a rank-deficient U is completed to orthonormal columns
    const { U } = linalg.svd(
      tensor([
        [1, 1],
        [1, 1],
        [0, 0],
      ]),
    );
    close(U.transpose(0, 1).matmul(U), eye(2), 1e-6);
  });

  it('svd recovers a known orthogonal matrix: singular values of Q·diag(5, 2, 1) are 5, 2, 1', () => {
    manualSeed(9);
    const { Q } = linalg.qr(randn([3, 3]));
    close(linalg.svdvals(Q.mul(tensor([5, 2, 1]))), [5, 2, 1]);
  });

  it('eigh: values ascending and vectors of hand-worked matrices; V diag(λ) Vᵀ = A', () => {
    const { eigenvalues, eigenvectors } = linalg.eigh(
      tensor([
        [2, 1],
        [1, 2],
      ]),
    );
    close(eigenvalues, [1, 3]);
    const v = arr(eigenvectors).map(Math.abs);
    close(v, [Math.SQRT1_2, Math.SQRT1_2, Math.SQRT1_2, Math.SQRT1_2]);
    manualSeed(4);
    const m = randn([4, 4]);
    const sym = m.add(m.transpose(0, 1));
    const e = linalg.eigh(sym);
    close(e.eigenvectors.mul(e.eigenvalues.unsqueeze(0)).matmul(e.eigenvectors.transpose(0, 1)), arr(sym), 1e-5);
    const lam = arr(e.eigenvalues);
    for (let i = 1; i < 4; i++) expect(lam[i]).toBeGreaterThanOrEqual(lam[i - 1]);
  });

  it('gradients of singular values and eigenvalues match differences', () => {
    manualSeed(6);
    const a = randn([3, 4]);
    expect(
      gradcheck(
        (x) =>
          linalg
            .svdvals(x)
            .mul(tensor([1, 2, -1]))
            .sum(),
        [a],
        { eps: 1e-3, rtol: 2e-2, atol: 2e-3 },
      ).ok,
    ).toBe(true);
    const m = randn([3, 3]);
    const sym = m.add(m.transpose(0, 1));
    expect(
      gradcheck(
        (x) =>
          linalg
            .eigh(x.add(x.transpose(0, 1)).mul(0.5))
            .eigenvalues.mul(tensor([1, -2, 3]))
            .sum(),
        [sym],
        { eps: 1e-3, rtol: 2e-2, atol: 2e-3 },
      ).ok,
    ).toBe(true);
  });
});

describe('linalg: norms and pinv', () => {
  it('vectorNorm and matrixNorm by hand', () => {
    close(linalg.vectorNorm(tensor([3, -4])), [5]);
    close(
      linalg.vectorNorm(
        tensor([
          [1, -2],
          [3, 0],
        ]),
        { ord: 1, dim: 1 },
      ),
      [3, 3],
    );
    close(linalg.vectorNorm(tensor([1, -7, 2]), { ord: Infinity }), [7]);
    close(linalg.vectorNorm(tensor([1, -7, 2]), { ord: -Infinity }), [1]);
    close(linalg.vectorNorm(tensor([1, 0, 2, 0]), { ord: 0 }), [2]);
    close(linalg.vectorNorm(tensor([1, 2]), { ord: 3 }), [9 ** (1 / 3)]);
    close(
      linalg.matrixNorm(
        tensor([
          [1, 2],
          [3, 4],
        ]),
      ),
      [Math.sqrt(30)],
    );
    close(
      linalg.matrixNorm(
        tensor([
          [1, -2],
          [3, 4],
        ]),
        { ord: 1 },
      ),
      [6],
    );
    close(
      linalg.matrixNorm(
        tensor([
          [1, -2],
          [3, 4],
        ]),
        { ord: Infinity },
      ),
      [7],
    );
    close(
      linalg.matrixNorm(
        tensor([
          [3, 0],
          [0, -2],
        ]),
        { ord: 'nuc' },
      ),
      [5],
    );
    close(
      linalg.matrixNorm(
        tensor([
          [3, 0],
          [0, -2],
        ]),
        { ord: 2 },
      ),
      [3],
    );
    close(
      linalg.matrixNorm(
        tensor([
          [3, 0],
          [0, -2],
        ]),
        { ord: -2 },
      ),
      [2],
    );
    expect(
      linalg.matrixNorm(
        tensor([
          [1, 2],
          [3, 4],
        ]),
        { keepdim: true },
      ).shape,
    ).toEqual([1, 1]);
    expect(() => linalg.vectorNorm(tensor([1]), { p: 2 } as never)).toThrow(/linalg.vectorNorm: unknown option 'p'/);
    expect(() => linalg.matrixNorm(tensor([[1]]), { ord: 3 })).toThrow(ArgumentError);
    // PyTorch's vector_norm refuses integer tensors too
    expect(() => linalg.vectorNorm(tensor([3, 4], { dtype: 'int32' }))).toThrow(
      "linalg.vectorNorm: expected a float32 tensor, got int32 (convert with x.to('float32'))",
    );
    expect(() => linalg.matrixNorm(tensor([[1]], { dtype: 'int32' }))).toThrow(DTypeError);
    expect(gradcheck((x) => linalg.vectorNorm(x), [tensor([0.5, -1.5, 2])], { eps: 1e-3, rtol: 1e-2 }).ok).toBe(true);
  });

  it('pinv: of a rank-one matrix and of an invertible one', () => {
    close(
      linalg.pinv(
        tensor([
          [1, 0],
          [0, 0],
        ]),
      ),
      [1, 0, 0, 0],
    );
    // pinv([[1, 2], [2, 4]]) = A / 25 (A = v vᵀ with |v|² = 5: A⁺ = A / |v|⁴)
    close(
      linalg.pinv(
        tensor([
          [1, 2],
          [2, 4],
        ]),
      ),
      [0.04, 0.08, 0.08, 0.16],
      1e-5,
    );
    close(
      linalg.pinv(
        tensor([
          [4, 7],
          [2, 6],
        ]),
      ),
      [0.6, -0.7, -0.2, 0.4],
      1e-5,
    );
  });

  it('leaves nothing behind', () => {
    const a = tensor([
      [4, 1],
      [1, 3],
    ]);
    const before = memory().devices.cpu.tensors;
    const out = [linalg.inv(a), linalg.det(a), linalg.cholesky(a), linalg.pinv(a), linalg.matrixNorm(a, { ord: 'nuc' })];
    const { U, S, Vh } = linalg.svd(a);
    const { Q, R } = linalg.qr(a);
    const { eigenvalues, eigenvectors } = linalg.eigh(a);
    const { sign, logabsdet } = linalg.slogdet(a);
    for (const t of [...out, U, S, Vh, Q, R, eigenvalues, eigenvectors, sign, logabsdet]) t.dispose();
    expect(memory().devices.cpu.tensors).toBe(before);
  });
});

describe('linalg on WebGPU tensors', () => {
  it.runIf(DEVICES.includes('webgpu'))('is a DeviceError that says how to move the matrix', () => {
    const a = tensor(
      [
        [1, 2],
        [3, 4],
      ],
      { device: 'webgpu' },
    );
    expect(() => linalg.inv(a)).toThrow(DeviceError);
    expect(() => linalg.svd(a)).toThrow(
      "linalg.svd: runs on the CPU backend (float64 factorization on the host); move the tensor first: await x.toDevice('cpu')",
    );
    // the composite norms run on the device
    const norm = linalg.vectorNorm(a);
    expect(norm.device).toBe('webgpu');
    norm.dispose();
    a.dispose();
  });
});
