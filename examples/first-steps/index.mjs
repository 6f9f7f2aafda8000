// First steps with @aimodel: fit a two-layer network to y = sin(x) with autograd on the CPU.
// Run from the repository root: npm run demo
import { init, linspace, manualSeed, memory, noGrad, randn, scope, zeros } from '@aimodel/nn';

const device = await init();
manualSeed(0);

const x = linspace(-Math.PI, Math.PI, 256).reshape([-1, 1]);
const y = x.sin();

// parameters: 1 → 32 → 1, tanh hidden layer
const w1 = randn([1, 32]).mul(1.0);
const b1 = zeros([32]);
const w2 = randn([32, 1]).mul(1 / Math.sqrt(32));
const b2 = zeros([1]);
const params = [w1, b1, w2, b2];
for (const p of params) p.requiresGrad = true;

const predict = (input) => input.matmul(w1).add(b1).tanh().matmul(w2).add(b2);
const lr = 0.05;
const started = performance.now();
const before = memory();

for (let epoch = 0; epoch <= 2000; epoch++) {
  const loss = scope(() => {
    const l = predict(x).sub(y).pow(2).mean();
    l.backward();
    noGrad(() => {
      for (const p of params) {
        p.assign(p.sub(p.grad.mul(lr)));
        p.grad.dispose();
        p.grad = null;
      }
    });
    return l.detach();
  });
  if (epoch % 400 === 0) console.log(`epoch ${String(epoch).padStart(4)}  mse ${(await loss.item()).toFixed(5)}`);
  loss.dispose();
}

const after = memory();
const test = scope(() => predict(x.narrow(0, 64, 1)));
console.log(`device: ${device}; trained in ${((performance.now() - started) / 1000).toFixed(2)} s`);
console.log(`sin(${(await x.narrow(0, 64, 1).item()).toFixed(3)}) ≈ ${(await test.item()).toFixed(4)} (exact ${(await y.narrow(0, 64, 1).item()).toFixed(4)})`);
console.log(`live tensors before/after training: ${before.tensors}/${after.tensors} (no leak)`);
