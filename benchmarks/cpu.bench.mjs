// CPU microbenchmarks: @aimodel/tensor vs @tensorflow/tfjs-backend-cpu in the same run.
// Usage: node benchmarks/cpu.bench.mjs [--filter matmul,conv] [--json out.json]
import { writeFileSync } from 'node:fs';
import * as am from '@aimodel/tensor';
import { createRequire } from 'node:module';
import { machine, measure, parseArgs, selected, table } from './harness.mjs';

// The @tensorflow/tfjs umbrella (CommonJS build) registers tfjs-core's gradients, which the
// training-step peer needs; its CPU backend is @tensorflow/tfjs-backend-cpu.
const tf = createRequire(import.meta.url)('@tensorflow/tfjs');

const args = parseArgs();
await am.init({ device: 'cpu' });
await tf.setBackend('cpu');
am.manualSeed(0);

const cases = [];
// matmul: 2·n³ flops
for (const n of [128, 256, 512, 1024]) {
  cases.push({
    name: `matmul ${n}×${n}`,
    flops: 2 * n ** 3,
    ours: () => {
      const a = am.randn([n, n]),
        b = am.randn([n, n]);
      return {
        run: () => am.matmul(a, b).dispose(),
        free: () => {
          a.dispose();
          b.dispose();
        },
      };
    },
    peer: () => {
      const a = tf.randomNormal([n, n]),
        b = tf.randomNormal([n, n]);
      return {
        run: () => tf.matMul(a, b).dispose(),
        free: () => {
          a.dispose();
          b.dispose();
        },
      };
    },
  });
}
// batched matmul [16, 128, 64] @ [16, 64, 128]
cases.push({
  name: 'batched matmul 16×128×64×128',
  flops: 2 * 16 * 128 * 64 * 128,
  ours: () => {
    const a = am.randn([16, 128, 64]),
      b = am.randn([16, 64, 128]);
    return {
      run: () => am.matmul(a, b).dispose(),
      free: () => {
        a.dispose();
        b.dispose();
      },
    };
  },
  peer: () => {
    const a = tf.randomNormal([16, 128, 64]),
      b = tf.randomNormal([16, 64, 128]);
    return {
      run: () => tf.matMul(a, b).dispose(),
      free: () => {
        a.dispose();
        b.dispose();
      },
    };
  },
});
// conv2d NCHW [32, 16, 28, 28] * [32, 16, 3, 3], pad 1 (tfjs uses NHWC / HWIO)
{
  const [n, c, h, w, o, k] = [32, 16, 28, 28, 32, 3];
  cases.push({
    name: 'conv2d 32×16×28×28, 32 filters 3×3',
    flops: 2 * n * o * h * w * c * k * k,
    ours: () => {
      const x = am.randn([n, c, h, w]),
        f = am.randn([o, c, k, k]);
      return {
        run: () => am.conv2d(x, f, { padding: 1 }).dispose(),
        free: () => {
          x.dispose();
          f.dispose();
        },
      };
    },
    peer: () => {
      const x = tf.randomNormal([n, h, w, c]),
        f = tf.randomNormal([k, k, c, o]);
      return {
        run: () => tf.conv2d(x, f, 1, 'same').dispose(),
        free: () => {
          x.dispose();
          f.dispose();
        },
      };
    },
  });
}
// memory-bound ops: GB/s counts bytes read + written
{
  const n = 1 << 20;
  cases.push({
    name: 'add 1M + 1M',
    bytes: 3 * 4 * n,
    ours: () => {
      const a = am.randn([n]),
        b = am.randn([n]);
      return {
        run: () => am.add(a, b).dispose(),
        free: () => {
          a.dispose();
          b.dispose();
        },
      };
    },
    peer: () => {
      const a = tf.randomNormal([n]),
        b = tf.randomNormal([n]);
      return {
        run: () => tf.add(a, b).dispose(),
        free: () => {
          a.dispose();
          b.dispose();
        },
      };
    },
  });
  cases.push({
    name: 'softmax 1024×1024 (last dim)',
    bytes: 2 * 4 * n,
    ours: () => {
      const a = am.randn([1024, 1024]);
      return { run: () => am.softmax(a, -1).dispose(), free: () => a.dispose() };
    },
    peer: () => {
      const a = tf.randomNormal([1024, 1024]);
      return { run: () => tf.softmax(a).dispose(), free: () => a.dispose() };
    },
  });
  cases.push({
    name: 'sum 1024×1024 over dim 0',
    bytes: 4 * n,
    ours: () => {
      const a = am.randn([1024, 1024]);
      return { run: () => am.sum(a, 0).dispose(), free: () => a.dispose() };
    },
    peer: () => {
      const a = tf.randomNormal([1024, 1024]);
      return { run: () => tf.sum(a, 0).dispose(), free: () => a.dispose() };
    },
  });
}
// layer norm over the last dim (fused kernel; the peer composes tf.moments and elementwise ops)
{
  const [rows, cols] = [1024, 1024];
  cases.push({
    name: `layerNorm ${rows}×${cols} (last dim)`,
    bytes: 2 * 4 * rows * cols,
    ours: () => {
      const a = am.randn([rows, cols]);
      return { run: () => am.layerNorm(a, cols).dispose(), free: () => a.dispose() };
    },
    peer: () => {
      const a = tf.randomNormal([rows, cols]);
      const run = () =>
        tf
          .tidy(() => {
            const { mean, variance } = tf.moments(a, -1, true);
            return tf.mul(tf.sub(a, mean), tf.rsqrt(tf.add(variance, 1e-5)));
          })
          .dispose();
      return { run, free: () => a.dispose() };
    },
  });
}
// training step of an MLP 784-256-10 on a batch of 64 (forward + backward + SGD update)
{
  const batch = 64;
  const flops = 3 * 2 * batch * (784 * 256 + 256 * 10); // forward + two backward matmuls per layer
  cases.push({
    name: 'MLP 784-256-10 train step, batch 64',
    flops,
    ours: () => {
      const x = am.randn([batch, 784]);
      const t = am.randn([batch, 10]);
      const w1 = am.randn([784, 256], { requiresGrad: true }),
        w2 = am.randn([256, 10], { requiresGrad: true });
      return {
        run: () =>
          am.scope(() => {
            const loss = x.matmul(w1).relu().matmul(w2).sub(t).pow(2).mean();
            loss.backward();
            am.noGrad(() => {
              for (const p of [w1, w2]) {
                p.assign(p.sub(p.grad.mul(1e-3)));
                p.grad.dispose();
                p.grad = null;
              }
            });
          }),
        free: () => [x, t, w1, w2].forEach((v) => v.dispose()),
      };
    },
    peer: () => {
      const x = tf.randomNormal([batch, 784]);
      const t = tf.randomNormal([batch, 10]);
      const w1 = tf.variable(tf.randomNormal([784, 256])),
        w2 = tf.variable(tf.randomNormal([256, 10]));
      const opt = tf.train.sgd(1e-3);
      return {
        run: () =>
          tf.tidy(() => {
            opt.minimize(() => tf.mean(tf.square(tf.sub(tf.matMul(tf.relu(tf.matMul(x, w1)), w2), t))));
          }),
        free: () => [x, t, w1, w2].forEach((v) => v.dispose()),
      };
    },
  });
}

const rows = [];
for (const c of cases) {
  if (!selected(args, c.name)) continue;
  const result = {};
  for (const side of ['ours', 'peer']) {
    const setup = c[side]();
    for (let i = 0; i < 2; i++) setup.run(); // warm-up (JIT, buffers)
    const s = await measure(`${side} ${c.name}`, setup.run);
    setup.free();
    const rate = c.flops ? c.flops / s / 1e9 : c.bytes / s / 1e9;
    result[side] = { ms: s * 1e3, rate };
  }
  const row = { name: c.name, unit: c.flops ? 'GFLOP/s' : 'GB/s', ...result.ours, peer: result.peer };
  rows.push(row);
  console.log(
    `${c.name}: ${row.ms.toFixed(3)} ms (${row.rate.toFixed(2)} ${row.unit}); tfjs-cpu ${row.peer.ms.toFixed(3)} ms (${row.peer.rate.toFixed(2)}); ratio ${(row.rate / row.peer.rate).toFixed(2)}×`,
  );
}

const report = { date: new Date().toISOString(), machine: machine(), device: 'cpu (single thread)', peer: '@tensorflow/tfjs 4.22.0 (tfjs-backend-cpu)', rows };
if (args.json) writeFileSync(args.json, JSON.stringify(report, null, 2));
console.log(`\n${report.machine}\n\n${table(rows)}`);
