// A module worker of the browser test: WebGPU through the worker's navigator.gpu, off the page's
// main thread (where apps run models so the page stays responsive). It trains nothing: one
// matmul + softmax + sum with a backward on WebGPU and on the CPU, then posts both results.
import * as am from '@aimodel/tensor';

async function run(): Promise<{ device: string; gpu: number[]; cpu: number[]; grad: [number[], number[]] }> {
  const device = await am.init({ device: 'webgpu' });
  am.manualSeed(3);
  const a = am.randn([19, 70], { device: 'cpu' });
  const b = am.randn([70, 23], { device: 'cpu' });
  const go = async (d: am.DeviceName) => {
    const x = a.to(d).detach();
    x.requiresGrad = true;
    const y = x.matmul(b.to(d)).softmax(-1);
    y.mul(y).sum().backward();
    const out = [Array.from(await y.sum(0).data()), Array.from(await (x.grad as am.Tensor).sum(1).data())];
    return out;
  };
  const [g, c] = [await go('webgpu'), await go('cpu')];
  return { device, gpu: g[0], cpu: c[0], grad: [g[1], c[1]] };
}

run().then(
  (r) => postMessage(r),
  (e) => postMessage({ error: String((e as Error).stack ?? e) }),
);
