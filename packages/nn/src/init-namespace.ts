import { type DeviceName, init as initDevice, type InitOptions } from '@aimodel/tensor';
import type * as initializers from './init';
import { calculateGain, constant, fanInAndFanOut, kaimingNormal, kaimingUniform, normal, ones, uniform, xavierNormal, xavierUniform, zeros } from './init';

/**
 * `init` as @aimodel/nn exports it: the device selector of @aimodel/tensor, carrying the weight initializers.
 * @example
 * ```ts
 * const conv = new Conv2d(3, 16, 3);
 * const device = await init();          // 'webgpu' or 'cpu'
 * init.kaimingNormal(conv.weight, { mode: 'fanOut', nonlinearity: 'relu' });
 * ```
 */
export type InitNamespace = ((opts?: InitOptions) => Promise<DeviceName>) & typeof initializers;

/**
 * Two things under one name, so that both PyTorch habits work from `@aimodel/nn`:
 * calling `init()` selects the device (as `init` from @aimodel/tensor), and `init.kaimingUniform`,
 * `init.xavierNormal`, `init.zeros`, … fill weights in place (as `torch.nn.init`).
 * @example
 * ```ts
 * const layer = new Linear(4, 2);
 * await init({ device: 'cpu' });
 * init.xavierUniform(layer.weight);
 * ```
 */
// The initializers are listed (not spread from `import * as`) and the call marked pure, so a bundle
// that does not use `init` drops it, and with it the device selector and the WebGPU backend; the
// InitNamespace type makes a new initializer in ./init a compile error until it is listed here.
export const init: InitNamespace = /* @__PURE__ */ Object.assign((opts?: InitOptions) => initDevice(opts), {
  uniform,
  normal,
  constant,
  zeros,
  ones,
  calculateGain,
  fanInAndFanOut,
  xavierUniform,
  xavierNormal,
  kaimingUniform,
  kaimingNormal,
});
