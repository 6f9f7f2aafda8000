import { cholesky, det, eigh, inv, qr, slogdet, solve, svd, svdvals } from './decompositions';
import { matrixNorm, pinv, vectorNorm } from './norms';

export type { MatrixNormOptions, VectorNormOptions } from './norms';

/**
 * Linear algebra with `torch.linalg`'s names: `linalg.inv`, `linalg.solve`, `linalg.det`,
 * `linalg.slogdet`, `linalg.cholesky`, `linalg.qr`, `linalg.svd`, `linalg.svdvals`,
 * `linalg.eigh`, `linalg.pinv`, `linalg.vectorNorm`, `linalg.matrixNorm`. A plain object of the
 * functions (not a module namespace), so bundlers drop it from apps that do not use it.
 * @namespace
 * @example
 * ```ts
 * linalg.det(tensor([[1, 2], [3, 4]])); // -2
 * ```
 */
export const linalg = { inv, solve, det, slogdet, cholesky, qr, svd, svdvals, eigh, pinv, vectorNorm, matrixNorm };
