// The compress suites share nn's probe (as prune-webgpu and distill import it directly).
export { hasWebGpu } from '../../nn/test/webgpu-available';
