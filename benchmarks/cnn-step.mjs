// CPU training-step timing of the two small CNNs of issue 13, one thread, for profiling
// (`node --cpu-prof benchmarks/cnn-step.mjs …`, then `node benchmarks/cpu-profile-summary.mjs <file>`).
//   --model demo   the MNIST demo's model (conv16-relu-pool-conv32-relu-pool-dropout-dense10,
//                  batch 32, Adam) trained with model.fit on random images, as `npm run demo` does
//   --model issue  conv8-pool-conv16-pool-dense10, batch 64, softmax cross-entropy, plain SGD
//                  (the "small CNN training step" row of benchmarks/cpu.bench.mjs)
// Usage: node benchmarks/cnn-step.mjs [--model demo|issue] [--steps 50] [--dist <tensor dist dir>]
// (THREADS=n: the CPU thread count, default 1; builds without the option ignore it)
import { smallCnn } from './small-cnn.mjs';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const model = arg('model', 'issue');
const steps = Number(arg('steps', 50));
const dist = arg('dist', null);
const threads = Number(process.env.THREADS ?? 1);

async function demoStep() {
  const nn = await import('@aimodel/nn');
  const { Adam } = await import('@aimodel/optim');
  await nn.init({ device: 'cpu', threads }).catch(() => nn.init({ device: 'cpu' }));
  nn.manualSeed(0);
  const batch = 32;
  const net = new nn.Sequential(
    new nn.Conv2d(1, 16, 3, { padding: 1 }),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Conv2d(16, 32, 3, { padding: 1 }),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Flatten(),
    new nn.Dropout(0.3),
    new nn.Linear(32 * 7 * 7, 10),
  );
  net.compile({ optimizer: new Adam(net.parameters(), { lr: 2e-3 }), loss: nn.crossEntropy, metrics: ['accuracy'] });
  const x = nn.randn([batch * steps, 1, 28, 28]);
  const y = nn.randint(0, 10, [batch * steps]);
  await net.fit(x.narrow(0, 0, batch * 4), y.narrow(0, 0, batch * 4), { epochs: 1, batchSize: batch, verbose: 0 }); // warm-up
  const t0 = performance.now();
  await net.fit(x, y, { epochs: 1, batchSize: batch, verbose: 0 });
  return { batch, ms: (performance.now() - t0) / steps };
}

async function issueStep() {
  const am = await import(dist ? `${dist}/index.js` : '@aimodel/tensor');
  await am.init({ device: 'cpu', threads }).catch(() => am.init({ device: 'cpu' }));
  am.manualSeed(0);
  const batch = 64;
  const { step } = smallCnn(am, batch);
  for (let i = 0; i < 5; i++) step();
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) step();
  return { batch, ms: (performance.now() - t0) / steps };
}

const { batch, ms } = model === 'demo' ? await demoStep() : await issueStep();
console.log(`${model} CNN step, batch ${batch}: ${ms.toFixed(2)} ms/step, ${((batch * 1000) / ms).toFixed(0)} samples/s (${steps} steps)`);
