// The `linalg` namespace (`import { linalg } from '@aimodel/tensor'`): PyTorch's torch.linalg names.
export { cholesky, det, eigh, inv, qr, slogdet, solve, svd, svdvals } from './decompositions';
export { matrixNorm, pinv, vectorNorm } from './norms';
export type { MatrixNormOptions, VectorNormOptions } from './norms';
