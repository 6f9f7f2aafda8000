// Over ~400 lines: one case per kernel family, each with its tfjs-webgpu twin beside it.
// WebGPU microbenchmarks: @aimodel/tensor vs TensorFlow.js's WebGPU backend, in the same process
// on the same Dawn device. Usage:
//   node benchmarks/webgpu.bench.mjs [--filter matmul,attention] [--quick] [--profile] [--json out.json]
// --quick uses tiny sizes (a smoke test for software adapters such as lavapipe; numbers meaningless).
// --profile runs each of our cases once more under profile() and reports the GPU time per call from
// timestamp queries, by kernel (device time only: no encoding or submission; one pass per dispatch).
// Each sample enqueues `reps` calls and then reads one element back, so the GPU work is timed
// to completion while readback of large outputs stays out of the measurement.
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
import { machine, measure, parseArgs, selected, table } from './harness.mjs';

const require = createRequire(import.meta.url);
const args = parseArgs();
const quick = process.argv.includes('--quick');
const profiling = process.argv.includes('--profile');

const am = await import('@aimodel/tensor');
await am.init({ device: 'webgpu' });
am.manualSeed(0);

// The tfjs peer on its own Dawn device, reached through a navigator.gpu shim.
let tf = null;
let peerNote = '';
try {
  const { create, globals } = require('webgpu');
  Object.assign(globalThis, globals);
  globalThis.navigator ??= {};
  globalThis.navigator.gpu ??= create([]);
  // tfjs-core + the WebGPU backend, not the @tensorflow/tfjs umbrella (which also drags in the
  // WebGL/CPU backends, converter and data): this is what benchmarks/gpu-host.sh packs for the
  // GPU host. Gradients (for the training step) are registered by @tensorflow/tfjs-layers'
  // Node bundle; tfjs-core's own register_all_gradients is ESM-only and cannot be required.
  // Chained ops (t.reshape(...)) are not registered this way: the peer code calls tf.* only.
  tf = require('@tensorflow/tfjs-core');
  require('@tensorflow/tfjs-layers');
  require('@tensorflow/tfjs-backend-webgpu');
  await tf.setBackend('webgpu');
  await tf.ready();
} catch (e) {
  peerNote = `tfjs-backend-webgpu could not run: ${e.message}`;
  tf = null;
}

// The adapter this run measured (Dawn's default one, as init() picks), for RESULTS.md: name,
// driver and the features the kernels can use.
let adapter = null;
try {
  const { create } = require('webgpu');
  const a = await create([]).requestAdapter({ powerPreference: 'high-performance' });
  const { vendor, architecture, device: name, description } = a.info;
  const features = ['subgroups', 'timestamp-query', 'shader-f16'].filter((f) => a.features.has(f));
  adapter = { vendor, architecture, name, description, features, maxComputeWorkgroupStorageSize: a.limits.maxComputeWorkgroupStorageSize };
} catch (e) {
  adapter = { error: e.message };
}

const device = 'webgpu';
const randn = (shape) => am.randn(shape, { device });
const syncOurs = (t) => t.reshape([-1]).narrow(0, 0, 1).data();
const syncPeer = (t) => tf.slice(tf.reshape(t, [-1]), 0, 1).data(); // functional ops: tfjs-core's Node bundle has no chained ops (t.reshape), only the umbrella registers them

/** A timed body: `reps` results created, the last one read, all disposed. */
function timed(reps, make, sync) {
  return async () => {
    const outs = [];
    for (let i = 0; i < reps; i++) outs.push(make());
    await sync(outs[outs.length - 1]);
    for (const o of outs) o.dispose();
  };
}

const cases = [];
const matmulSizes = quick ? [64, 128] : [256, 512, 1024, 2048, 4096, 8192];
for (const n of matmulSizes) {
  const reps = n >= 4096 ? 3 : n >= 1024 ? 10 : 30;
  cases.push({
    name: `matmul ${n}×${n}`,
    flops: 2 * n ** 3,
    reps,
    ours: () => {
      const a = randn([n, n]),
        b = randn([n, n]);
      return {
        run: timed(reps, () => am.matmul(a, b), syncOurs),
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
        run: timed(reps, () => tf.matMul(a, b), syncPeer),
        free: () => {
          a.dispose();
          b.dispose();
        },
      };
    },
  });
}
{
  const [b, m, k, n] = quick ? [4, 32, 16, 32] : [32, 512, 64, 512];
  cases.push({
    name: `batched matmul ${b}×${m}×${k}×${n}`,
    flops: 2 * b * m * k * n,
    reps: 10,
    ours: () => {
      const x = randn([b, m, k]),
        y = randn([b, k, n]);
      return {
        run: timed(10, () => am.matmul(x, y), syncOurs),
        free: () => {
          x.dispose();
          y.dispose();
        },
      };
    },
    peer: () => {
      const x = tf.randomNormal([b, m, k]),
        y = tf.randomNormal([b, k, n]);
      return {
        run: timed(10, () => tf.matMul(x, y), syncPeer),
        free: () => {
          x.dispose();
          y.dispose();
        },
      };
    },
  });
}
{
  const [n, c, h, w, o] = quick ? [2, 4, 8, 8, 4] : [32, 64, 56, 56, 64];
  cases.push({
    name: `conv2d ${n}×${c}×${h}×${w}, ${o} filters 3×3`,
    flops: 2 * n * o * h * w * c * 9,
    reps: 5,
    ours: () => {
      const x = randn([n, c, h, w]),
        f = randn([o, c, 3, 3]);
      return {
        run: timed(5, () => am.conv2d(x, f, { padding: 1 }), syncOurs),
        free: () => {
          x.dispose();
          f.dispose();
        },
      };
    },
    peer: () => {
      const x = tf.randomNormal([n, h, w, c]),
        f = tf.randomNormal([3, 3, c, o]);
      return {
        run: timed(5, () => tf.conv2d(x, f, 1, 'same'), syncPeer),
        free: () => {
          x.dispose();
          f.dispose();
        },
      };
    },
  });
}
{
  const n = quick ? 256 : 8192;
  cases.push({
    name: `device copy ${n}×${n} (bandwidth reference)`,
    bytes: 2 * 4 * n * n,
    reps: 10,
    ours: () => {
      const a = randn([n, n]);
      return { run: timed(10, () => a.clone(), syncOurs), free: () => a.dispose() };
    },
    peer: () => {
      const a = tf.randomNormal([n, n]);
      return { run: timed(10, () => tf.clone(tf.add(a, 0)), syncPeer), free: () => a.dispose() };
    },
  });
  cases.push({
    name: `softmax ${n}×${n} (last dim)`,
    bytes: 2 * 4 * n * n,
    reps: 10,
    ours: () => {
      const a = randn([n, n]);
      return { run: timed(10, () => am.softmax(a, -1), syncOurs), free: () => a.dispose() };
    },
    peer: () => {
      const a = tf.randomNormal([n, n]);
      return { run: timed(10, () => tf.softmax(a), syncPeer), free: () => a.dispose() };
    },
  });
}
{
  // The side-by-side cases of issue 11: an elementwise chain (3 dispatches in both libraries:
  // neither fuses mul/add/relu), a softmax whose rows are short, and a small CNN training step.
  const n = quick ? 1 << 16 : 1 << 22;
  cases.push({
    name: `relu(x·y + z), ${n} floats`,
    bytes: 3 * 4 * n * 3,
    reps: 10, // each of the 3 ops reads 2 (or 1) and writes 1
    ours: () => {
      const x = randn([n]),
        y = randn([n]),
        z = randn([n]);
      return { run: timed(10, () => am.scope(() => x.mul(y).add(z).relu()), syncOurs), free: () => [x, y, z].forEach((t) => t.dispose()) };
    },
    peer: () => {
      const x = tf.randomNormal([n]),
        y = tf.randomNormal([n]),
        z = tf.randomNormal([n]);
      return { run: timed(10, () => tf.tidy(() => tf.relu(tf.add(tf.mul(x, y), z))), syncPeer), free: () => [x, y, z].forEach((t) => t.dispose()) };
    },
  });
  const [rows, cols] = quick ? [256, 128] : [4096, 1024];
  cases.push({
    name: `softmax ${rows}×${cols} (last dim)`,
    bytes: 2 * 4 * rows * cols,
    reps: 10,
    ours: () => {
      const a = randn([rows, cols]);
      return { run: timed(10, () => am.softmax(a, -1), syncOurs), free: () => a.dispose() };
    },
    peer: () => {
      const a = tf.randomNormal([rows, cols]);
      return { run: timed(10, () => tf.softmax(a), syncPeer), free: () => a.dispose() };
    },
  });
  // conv8-pool-conv16-pool-dense10 on [64, 1, 28, 28] (the CPU issue's CNN), softmax cross-entropy,
  // plain SGD; FLOPs: forward convs and dense, ×3 for forward + both backward passes.
  const batch = quick ? 8 : 64;
  const flops = 3 * 2 * batch * (8 * 28 * 28 * 9 + 16 * 14 * 14 * 8 * 9 + 16 * 7 * 7 * 10);
  cases.push({
    name: `small CNN train step, batch ${batch}`,
    flops,
    reps: 5,
    ours: () => {
      const x = randn([batch, 1, 28, 28]);
      const labels = am.oneHot(am.randint(0, 10, [batch], { device }), 10).to('float32');
      const ps = [randn([8, 1, 3, 3]), randn([8]), randn([16, 8, 3, 3]), randn([16]), randn([16 * 7 * 7, 10]), randn([10])];
      for (const p of ps) p.requiresGrad = true;
      const [c1, b1, c2, b2, w, b] = ps;
      const step = () =>
        am.scope(() => {
          let h = am.maxPool2d(am.conv2d(x, c1, { bias: b1, padding: 1 }).relu(), 2);
          h = am.maxPool2d(am.conv2d(h, c2, { bias: b2, padding: 1 }).relu(), 2);
          const logits = h.reshape([batch, -1]).matmul(w).add(b);
          const loss = am.logSoftmax(logits, -1).mul(labels).sum().neg().div(batch);
          loss.backward();
          am.noGrad(() => {
            for (const p of ps) {
              p.assign(p.sub(p.grad.mul(1e-2)));
              p.grad.dispose();
              p.grad = null;
            }
          });
          return loss.detach();
        });
      return { run: timed(5, step, syncOurs), free: () => [x, labels, ...ps].forEach((v) => v.dispose()) };
    },
    peer: () => {
      const x = tf.randomNormal([batch, 28, 28, 1]);
      const labels = tf.oneHot(tf.randomUniform([batch], 0, 10, 'int32'), 10);
      const vs = [[3, 3, 1, 8], [8], [3, 3, 8, 16], [16], [16 * 7 * 7, 10], [10]].map((s) => tf.variable(tf.randomNormal(s)));
      const [c1, b1, c2, b2, w, b] = vs;
      const opt = tf.train.sgd(1e-2);
      const step = () =>
        opt.minimize(() => {
          let h = tf.maxPool(tf.relu(tf.add(tf.conv2d(x, c1, 1, 'same'), b1)), 2, 2, 'valid');
          h = tf.maxPool(tf.relu(tf.add(tf.conv2d(h, c2, 1, 'same'), b2)), 2, 2, 'valid');
          return tf.losses.softmaxCrossEntropy(labels, tf.add(tf.matMul(tf.reshape(h, [batch, -1]), w), b));
        }, true);
      return { run: timed(5, step, syncPeer), free: () => [x, labels, ...vs].forEach((v) => v.dispose()) };
    },
  });
}
{
  // normalization, fused forward: bytes = x read + y written (the kernel reads x twice; the second
  // read mostly hits the cache). The peer composes tf.moments and elementwise ops (tfjs has no fused layer norm).
  const [rows, cols] = quick ? [64, 256] : [16384, 1024];
  const peerNorm = (a, axes) => {
    const { mean, variance } = tf.moments(a, axes, true);
    return tf.mul(tf.sub(a, mean), tf.rsqrt(tf.add(variance, 1e-5)));
  };
  cases.push({
    name: `layerNorm ${rows}×${cols} (last dim)`,
    bytes: 2 * 4 * rows * cols,
    reps: 10,
    ours: () => {
      const a = randn([rows, cols]);
      return { run: timed(10, () => am.layerNorm(a, cols), syncOurs), free: () => a.dispose() };
    },
    peer: () => {
      const a = tf.randomNormal([rows, cols]);
      return { run: timed(10, () => tf.tidy(() => peerNorm(a, -1)), syncPeer), free: () => a.dispose() };
    },
  });
  const [n, c, h, w] = quick ? [4, 8, 8, 8] : [32, 64, 56, 56];
  cases.push({
    name: `batchNorm training ${n}×${c}×${h}×${w}`,
    bytes: 2 * 4 * n * c * h * w,
    reps: 10,
    ours: () => {
      const a = randn([n, c, h, w]);
      return { run: timed(10, () => am.batchNorm(a, null, null, { training: true }), syncOurs), free: () => a.dispose() };
    },
    peer: () => {
      const a = tf.randomNormal([n, h, w, c]);
      return { run: timed(10, () => tf.tidy(() => peerNorm(a, [0, 1, 2])), syncPeer), free: () => a.dispose() };
    },
  });
}
{
  // batch·heads 32, sequence 2048, head dim 64, causal: the issue's attention case
  const [bh, l, e] = quick ? [2, 64, 16] : [32, 2048, 64];
  const flops = (4 * bh * l * l * e) / 2; // QKᵀ and PV, half the positions under the causal mask
  const make = () => {
    const q = randn([bh, l, e]),
      k = randn([bh, l, e]),
      v = randn([bh, l, e]);
    return { q, k, v, free: () => [q, k, v].forEach((t) => t.dispose()) };
  };
  cases.push({
    name: `attention fused, ${bh}×${l}×${e} causal`,
    flops,
    reps: 5,
    ours: () => {
      const t = make();
      return { run: timed(5, () => am.scaledDotProductAttention(t.q, t.k, t.v, { causal: true }), syncOurs), free: t.free };
    },
    peer: null,
  });
  // training: forward and backward (∂q, ∂k, ∂v); FLOPs counted as FlashAttention's papers do,
  // 2.5× the forward for the backward (our kernels recompute S and G·Vᵀ once more than that)
  cases.push({
    name: `attention fused forward+backward, ${bh}×${l}×${e} causal`,
    flops: 3.5 * flops,
    reps: 3,
    ours: () => {
      const t = make();
      for (const x of [t.q, t.k, t.v]) x.requiresGrad = true;
      const g = randn([bh, l, e]);
      const step = () =>
        am.scope(() => {
          am.scaledDotProductAttention(t.q, t.k, t.v, { causal: true }).backward(g);
          const out = t.v.grad;
          for (const x of [t.q, t.k, t.v]) {
            if (x !== t.v) x.grad.dispose();
            x.grad = null;
          }
          return out;
        });
      return {
        run: timed(3, step, syncOurs),
        free: () => {
          t.free();
          g.dispose();
        },
      };
    },
    peer: null,
  });
  cases.push({
    name: `attention composed matmul-softmax-matmul, ${bh}×${l}×${e} causal`,
    flops,
    reps: 5,
    ours: () => {
      const t = make();
      const allowed = am
        .arange(l, undefined, 1, { device })
        .unsqueeze(1)
        .ge(am.arange(l, undefined, 1, { device }).unsqueeze(0));
      // the L×L score matrix is materialised here: this is the path the fused kernel replaces
      const composed = () =>
        am.scope(() =>
          allowed
            .where(t.q.matmul(t.k.transpose(-1, -2)).mul(1 / Math.sqrt(e)), -Infinity)
            .softmax(-1)
            .matmul(t.v),
        );
      return {
        run: timed(5, composed, syncOurs),
        free: () => {
          t.free();
          allowed.dispose();
        },
      };
    },
    peer: null,
  });
}
{
  const batch = quick ? 8 : 256;
  const flops = 3 * 2 * batch * (784 * 512 + 512 * 10);
  cases.push({
    name: `MLP 784-512-10 train step, batch ${batch}`,
    flops,
    reps: 10,
    ours: () => {
      const x = randn([batch, 784]),
        t = randn([batch, 10]);
      const w1 = am.randn([784, 512], { device, requiresGrad: true }),
        w2 = am.randn([512, 10], { device, requiresGrad: true });
      const step = () =>
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
          return loss.detach();
        });
      return { run: timed(10, step, syncOurs), free: () => [x, t, w1, w2].forEach((v) => v.dispose()) };
    },
    peer: () => {
      const x = tf.randomNormal([batch, 784]),
        t = tf.randomNormal([batch, 10]);
      const w1 = tf.variable(tf.randomNormal([784, 512])),
        w2 = tf.variable(tf.randomNormal([512, 10]));
      const opt = tf.train.sgd(1e-3);
      const step = () => opt.minimize(() => tf.mean(tf.square(tf.sub(tf.matMul(tf.relu(tf.matMul(x, w1)), w2), t))), true);
      return { run: timed(10, step, syncPeer), free: () => [x, t, w1, w2].forEach((v) => v.dispose()) };
    },
  });
}

/** The results so far, as the JSON file holds them. */
function report() {
  return {
    date: new Date().toISOString(),
    machine: machine(),
    device: 'webgpu (Dawn)',
    adapter,
    peer: tf ? '@tensorflow/tfjs-backend-webgpu 4.22.0' : peerNote,
    quick,
    rows,
  };
}

/** One more run of a timed body under profile(): GPU milliseconds per call, by kernel (largest first). */
async function profileCase(run, reps) {
  const { kernels, totalGpuMs } = await am.profile(run, { device });
  const perCall = (ms) => (ms == null ? null : ms / reps);
  const top = [...kernels].sort((a, b) => (b.gpuMs ?? 0) - (a.gpuMs ?? 0)).slice(0, 6);
  return { gpuMs: perCall(totalGpuMs), kernels: top.map((k) => ({ key: k.key, dispatches: k.dispatches / reps, gpuMs: perCall(k.gpuMs) })) };
}

const rows = [];
for (const c of cases) {
  if (!selected(args, c.name)) continue;
  const result = {};
  for (const side of ['ours', 'peer']) {
    if (!c[side] || (side === 'peer' && !tf)) continue;
    try {
      const setup = c[side]();
      await setup.run(); // warm-up: pipelines compiled, buffers pooled
      const s = (await measure(`${side} ${c.name}`, setup.run, { deferred: true, maxTime: quick ? 1 : 4, minSamples: 5 })) / c.reps;
      result[side] = { ms: s * 1e3, rate: c.flops ? c.flops / s / 1e9 : c.bytes / s / 1e9 };
      if (profiling && side === 'ours') result.profile = await profileCase(setup.run, c.reps);
      setup.free();
    } catch (e) {
      console.error(`${side} ${c.name}: ${e.message}`);
    }
  }
  if (!result.ours) continue;
  const row = { name: c.name, unit: c.flops ? 'GFLOP/s' : 'GB/s', ...result.ours, peer: result.peer, profile: result.profile };
  rows.push(row);
  // written after every case, so a time limit on the whole suite keeps what finished
  if (args.json) writeFileSync(args.json, JSON.stringify(report(), null, 2));
  console.log(
    `${c.name}: ${row.ms.toFixed(3)} ms (${row.rate.toFixed(1)} ${row.unit})${row.peer ? `; tfjs-webgpu ${row.peer.ms.toFixed(3)} ms (${row.peer.rate.toFixed(1)}); ratio ${(row.rate / row.peer.rate).toFixed(2)}×` : ''}`,
  );
  if (row.profile)
    console.log(
      `  GPU time per call ${row.profile.gpuMs?.toFixed(3) ?? '—'} ms: ${row.profile.kernels.map((k) => `${k.key} ×${k.dispatches} ${k.gpuMs?.toFixed(3) ?? '—'} ms`).join('; ')}`,
    );
}

const done = report();
if (args.json) writeFileSync(args.json, JSON.stringify(done, null, 2));
console.log(`\n${done.machine}\nadapter: ${JSON.stringify(adapter)}${peerNote ? `\n${peerNote}` : ''}\n\n${table(rows).replaceAll('tfjs-cpu', 'tfjs-webgpu')}`);
process.exit(0);
