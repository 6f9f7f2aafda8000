// One optimizer step on a [1024, 1568] parameter (~1.6 M floats, the size issue 13 measured) on the
// CPU: @aimodel/optim's Adam, AdamW and SGD (momentum) as built, next to the composed form Adam
// used before the fused step (a chain of elementwise tensor ops, written out below), and the
// parameter's Linear forward + backward at batch 64 for scale. Median of interleaved samples.
//   node benchmarks/optimizer-step.mjs [--samples N]      (AIMODEL_CPU_SIMD=0: the JS loops instead of WebAssembly SIMD)
// (uses the packages' dist: run `npx tsup` in packages/tensor, nn and optim after changing their source)
import * as nn from '@aimodel/nn';
import { Adam, AdamW, SGD } from '../packages/optim/dist/index.js';
import { load, median } from './harness.mjs';

const argv = process.argv.slice(2);
const samples = Number(argv[argv.indexOf('--samples') + 1]) || 15;
const { keep, noGrad, randn, scope, zerosLike } = nn;

await nn.init({ device: 'cpu' });
nn.manualSeed(0);
const shape = [1024, 1568];

/** A fresh parameter with a fixed gradient. */
function param() {
  const p = randn(shape, { requiresGrad: true });
  p.grad = randn(shape).mul(0.01);
  return p;
}

/** Adam's step as composed tensor ops (the implementation before the fused primitive). */
function composedAdam(p) {
  const beta1 = 0.9;
  const beta2 = 0.999;
  const state = { step: 0, m: keep(zerosLike(p)), v: keep(zerosLike(p)) };
  return () =>
    noGrad(() =>
      scope(() => {
        const { m, v } = state;
        const g = p.grad;
        const t = ++state.step;
        m.assign(m.mul(beta1).add(g.mul(1 - beta1)));
        v.assign(v.mul(beta2).add(g.mul(g).mul(1 - beta2)));
        const denom = v
          .sqrt()
          .div(Math.sqrt(1 - beta2 ** t))
          .add(1e-8);
        p.assign(p.sub(m.div(denom).mul(1e-3 / (1 - beta1 ** t))));
      }),
    );
}

const linear = new nn.Linear(1568, 1024);
const x = randn([64, 1568]);
const cases = {
  'Adam (composed tensor ops, before)': composedAdam(param()),
  'Adam (@aimodel/optim)': (
    (o) => () =>
      o.step()
  )(new Adam([param()])),
  'AdamW (@aimodel/optim)': (
    (o) => () =>
      o.step()
  )(new AdamW([param()])),
  'SGD momentum 0.9 (@aimodel/optim)': (
    (o) => () =>
      o.step()
  )(new SGD([param()], { lr: 0.01, momentum: 0.9 })),
  'Linear 1568→1024 forward + backward, batch 64': () => {
    linear.zeroGrad();
    scope(() => linear.forward(x).sum().backward());
  },
};

const times = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
for (const fn of Object.values(cases)) fn(); // warm-up (and state creation)
for (let s = 0; s < samples; s++) {
  for (const [k, fn] of Object.entries(cases)) {
    const t0 = performance.now();
    fn();
    times[k].push(performance.now() - t0);
  }
}
console.log(`one step on a [${shape}] float32 parameter, CPU, median of ${samples} (load average ${load().toFixed(2)})`);
for (const [k, xs] of Object.entries(times)) console.log(`${k.padEnd(48)} ${median(xs).toFixed(1).padStart(7)} ms`);
