// A module worker of the browser test: WebGPU through the worker's navigator.gpu, off the page's
// main thread (where apps run models so the page stays responsive): one matmul + softmax + sum
// with a backward on WebGPU and on the CPU, then both results posted to the page.
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
    return { value: Array.from(await y.sum(0).data()), grad: Array.from(await (x.grad as am.Tensor).sum(1).data()) };
  };
  const g = await go('webgpu');
  const c = await go('cpu');
  return { device, gpu: g.value, cpu: c.value, grad: [g.grad, c.grad] };
}

run().then(
  (r) => postMessage(r),
  (e) => postMessage({ error: String((e as Error).stack ?? e) }),
);
