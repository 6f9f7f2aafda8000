// CPU microbenchmarks: @aimodel/tensor (one thread) against its peers in the same run:
// TensorFlow.js's CPU backend (plain JS), its WebAssembly backend (SIMD, one thread: tfjs-wasm's
// threaded build does not run in Node) and onnxruntime-node (native MLAS kernels, inference only,
// one intra-op thread) where the peer has the op.
// Usage: node benchmarks/cpu.bench.mjs [--filter matmul,conv] [--quick] [--json out.json]
// --quick: short timing, a smoke run whose numbers are not measurements (marked so in the output).
import { existsSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as am from '@aimodel/tensor';
import { filler, onnxModel } from './onnx-model.mjs';
import { load, machine, measureStats, parseArgs, peerTables, selected } from './harness.mjs';
import { smallCnn } from './small-cnn.mjs';

const require = createRequire(import.meta.url);
// The @tensorflow/tfjs umbrella (CommonJS build) registers tfjs-core's gradients, which the
// training-step peers need; tfjs-backend-wasm registers the 'wasm' backend on the same engine.
const tf = require('@tensorflow/tfjs');
require('@tensorflow/tfjs-backend-wasm');
// onnxruntime-node is installed into benchmarks/node_modules by `npm run bench` (see package.json here)
const ortPath = new URL('./node_modules/onnxruntime-node', import.meta.url);
const ort = existsSync(ortPath) ? require(ortPath.pathname) : null;

const args = parseArgs();
const timing = args.quick ? { maxTime: 0.3, minSamples: 3 } : { maxTime: 3, minSamples: 5 };
// one thread, as the peers (THREADS=n in the environment: ours on n threads)
const threads = Number(process.env.THREADS ?? 1);
await am.init({ device: 'cpu', threads });
am.manualSeed(0);

/** A side's setup: { run, free }. */
const fixed = (tensors, run) => ({ run, free: () => tensors.forEach((t) => t.dispose()) });
const cases = [];

/** A case whose three sides apply `ours(a, b…)`, `tfjs(a, b…)` to random inputs of `shapes` (NCHW for ours). */
function opCase({ name, flops, bytes, calls, shapes, tfShapes = shapes, ours, tfjs, onnx, skip }) {
  cases.push({
    name,
    skip,
    flops,
    bytes,
    calls,
    ours: () => {
      const xs = shapes.map((s) => am.randn(s));
      return fixed(xs, () => ours(...xs).dispose());
    },
    tfjs:
      tfjs &&
      (() => {
        const xs = tfShapes.map((s) => tf.randomNormal(s));
        return fixed(xs, () => tf.tidy(() => tfjs(...xs)).dispose());
      }),
    onnx:
      onnx &&
      (() => ({
        model: onnxModel(onnx.graph),
        feeds: Object.fromEntries(onnx.graph.inputs.map((x) => [x.name, new ort.Tensor('float32', filler(x.shape.reduce((p, d) => p * d, 1)), x.shape)])),
      })),
  });
}
const io = (inputs, output) => ({ inputs: inputs.map(([name, shape]) => ({ name, shape })), outputs: [{ name: output[0], shape: output[1] }] });

// matmul: 2·n³ flops
for (const n of [128, 256, 512, 1024]) {
  opCase({
    name: `matmul ${n}×${n}`,
    flops: 2 * n ** 3,
    shapes: [
      [n, n],
      [n, n],
    ],
    ours: (a, b) => am.matmul(a, b),
    tfjs: (a, b) => tf.matMul(a, b),
    onnx: {
      graph: {
        ...io(
          [
            ['a', [n, n]],
            ['b', [n, n]],
          ],
          ['c', [n, n]],
        ),
        nodes: [{ op: 'MatMul', inputs: ['a', 'b'], outputs: ['c'] }],
      },
    },
  });
}
opCase({
  name: 'batched matmul 16×128×64×128',
  flops: 2 * 16 * 128 * 64 * 128,
  shapes: [
    [16, 128, 64],
    [16, 64, 128],
  ],
  ours: (a, b) => am.matmul(a, b),
  tfjs: (a, b) => tf.matMul(a, b),
  onnx: {
    graph: {
      ...io(
        [
          ['a', [16, 128, 64]],
          ['b', [16, 64, 128]],
        ],
        ['c', [16, 128, 128]],
      ),
      nodes: [{ op: 'MatMul', inputs: ['a', 'b'], outputs: ['c'] }],
    },
  },
});
/** A conv2d case: NCHW x [n, c, h, w] * w [o, c, k, k], padding 1 (tfjs: NHWC / HWIO, 'same'). */
function conv2dCase(name, [n, c, h, w, o, k], extra = {}) {
  opCase({
    name,
    flops: 2 * n * o * h * w * c * k * k,
    ...extra,
    shapes: [
      [n, c, h, w],
      [o, c, k, k],
    ],
    tfShapes: [
      [n, h, w, c],
      [k, k, c, o],
    ],
    ours: (x, f) => am.conv2d(x, f, { padding: 1 }),
    tfjs: (x, f) => tf.conv2d(x, f, 1, 'same'),
    onnx: {
      graph: {
        ...io(
          [
            ['x', [n, c, h, w]],
            ['f', [o, c, k, k]],
          ],
          ['y', [n, o, h, w]],
        ),
        nodes: [{ op: 'Conv', inputs: ['x', 'f'], outputs: ['y'], attrs: { pads: [1, 1, 1, 1], kernel_shape: [k, k] } }],
      },
    },
  });
}
conv2dCase('conv2d 32×16×28×28, 32 filters 3×3', [32, 16, 28, 28, 32, 3]);
// at issue 13's shape
conv2dCase('conv2d 8×64×32×32, 64 filters 3×3', [8, 64, 32, 32, 64, 3], { skip: ['tfjs-cpu'] }); // tfjs-cpu: ~1.7 s a call
{
  // memory-bound ops: GB/s counts bytes read + written
  const n = 1 << 20;
  opCase({
    name: 'add 1M + 1M',
    bytes: 3 * 4 * n,
    shapes: [[n], [n]],
    ours: (a, b) => am.add(a, b),
    tfjs: (a, b) => tf.add(a, b),
    onnx: {
      graph: {
        ...io(
          [
            ['a', [n]],
            ['b', [n]],
          ],
          ['c', [n]],
        ),
        nodes: [{ op: 'Add', inputs: ['a', 'b'], outputs: ['c'] }],
      },
    },
  });
  opCase({
    name: 'relu(x·y + z), 1M',
    bytes: 4 * 4 * n,
    shapes: [[n], [n], [n]],
    ours: (x, y, z) => am.scope(() => x.mul(y).add(z).relu()),
    tfjs: (x, y, z) => tf.relu(tf.add(tf.mul(x, y), z)),
    onnx: {
      graph: {
        ...io(
          [
            ['x', [n]],
            ['y', [n]],
            ['z', [n]],
          ],
          ['r', [n]],
        ),
        nodes: [
          { op: 'Mul', inputs: ['x', 'y'], outputs: ['m'] },
          { op: 'Add', inputs: ['m', 'z'], outputs: ['s'] },
          { op: 'Relu', inputs: ['s'], outputs: ['r'] },
        ],
      },
    },
  });
  opCase({
    name: 'softmax 1024×1024 (last dim)',
    bytes: 2 * 4 * n,
    shapes: [[1024, 1024]],
    ours: (a) => am.softmax(a, -1),
    tfjs: (a) => tf.softmax(a),
    onnx: { graph: { ...io([['a', [1024, 1024]]], ['s', [1024, 1024]]), nodes: [{ op: 'Softmax', inputs: ['a'], outputs: ['s'], attrs: { axis: -1 } }] } },
  });
  opCase({
    name: 'sum 1024×1024 over dim 0',
    bytes: 4 * n,
    shapes: [[1024, 1024]],
    ours: (a) => am.sum(a, 0),
    tfjs: (a) => tf.sum(a, 0),
    onnx: {
      graph: {
        ...io([['a', [1024, 1024]]], ['s', [1024]]),
        initializers: [{ name: 'axes', shape: [1], data: BigInt64Array.of(0n) }],
        nodes: [{ op: 'ReduceSum', inputs: ['a', 'axes'], outputs: ['s'], attrs: { keepdims: 0 } }],
      },
    },
  });
  // layer norm over the last dim: ours is one fused kernel; tfjs composes tf.moments and elementwise ops
  opCase({
    name: 'layerNorm 1024×1024 (last dim)',
    bytes: 2 * 4 * n,
    shapes: [[1024, 1024]],
    ours: (a) => am.layerNorm(a, 1024),
    tfjs: (a) => {
      const { mean, variance } = tf.moments(a, -1, true);
      return tf.mul(tf.sub(a, mean), tf.rsqrt(tf.add(variance, 1e-5)));
    },
    onnx: {
      graph: {
        ...io([['a', [1024, 1024]]], ['y', [1024, 1024]]),
        initializers: [{ name: 'g', shape: [1024], data: new Float32Array(1024).fill(1) }],
        nodes: [{ op: 'LayerNormalization', inputs: ['a', 'g'], outputs: ['y'], attrs: { axis: -1, epsilon: 1e-5 } }],
      },
    },
  });
}
// per-op overhead: a 4-element add, counted in thousands of calls per second
opCase({
  name: 'add 4 + 4 (per-op overhead)',
  calls: 1,
  shapes: [[4], [4]],
  ours: (a, b) => am.add(a, b),
  tfjs: (a, b) => tf.add(a, b),
  onnx: {
    graph: {
      ...io(
        [
          ['a', [4]],
          ['b', [4]],
        ],
        ['c', [4]],
      ),
      nodes: [{ op: 'Add', inputs: ['a', 'b'], outputs: ['c'] }],
    },
  },
});

/** A small random weight that requires grad. */
function param(shape) {
  const p = am.scope(() => am.randn(shape).mul(0.05));
  p.requiresGrad = true;
  return p;
}

/** An MLP [inF → hidden → out] (ReLU between) at `batch`: inference on all sides, a training step (forward, backward, SGD) without onnxruntime. */
function mlpCases(inF, hidden, out, batch) {
  const dims = `${inF}-${hidden}-${out}`;
  const fwdFlops = 2 * batch * (inF * hidden + hidden * out);
  const oursNet = () => {
    const w1 = param([inF, hidden]);
    const w2 = param([hidden, out]);
    const b1 = am.zeros([hidden], { requiresGrad: true });
    const b2 = am.zeros([out], { requiresGrad: true });
    return { params: [w1, b1, w2, b2], fwd: (x) => x.matmul(w1).add(b1).relu().matmul(w2).add(b2) };
  };
  const tfNet = () => {
    const vs = [
      tf.variable(tf.mul(tf.randomNormal([inF, hidden]), 0.05)),
      tf.variable(tf.zeros([hidden])),
      tf.variable(tf.mul(tf.randomNormal([hidden, out]), 0.05)),
      tf.variable(tf.zeros([out])),
    ];
    return { vs, fwd: (x) => tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x, vs[0]), vs[1])), vs[2]), vs[3]) };
  };
  cases.push({
    name: `MLP ${dims} inference, batch ${batch}`,
    flops: fwdFlops,
    ours: () => {
      const x = am.randn([batch, inF]);
      const net = oursNet();
      return fixed([x, ...net.params], () => am.noGrad(() => am.scope(() => net.fwd(x))).dispose());
    },
    tfjs: () => {
      const x = tf.randomNormal([batch, inF]);
      const net = tfNet();
      return fixed([x, ...net.vs], () => tf.tidy(() => net.fwd(x)).dispose());
    },
    onnx: () => ({
      model: onnxModel({
        ...io([['x', [batch, inF]]], ['y', [batch, out]]),
        initializers: [
          { name: 'w1', shape: [inF, hidden], data: filler(inF * hidden) },
          { name: 'b1', shape: [hidden], data: new Float32Array(hidden) },
          { name: 'w2', shape: [hidden, out], data: filler(hidden * out, 2) },
          { name: 'b2', shape: [out], data: new Float32Array(out) },
        ],
        nodes: [
          { op: 'Gemm', inputs: ['x', 'w1', 'b1'], outputs: ['h'] },
          { op: 'Relu', inputs: ['h'], outputs: ['r'] },
          { op: 'Gemm', inputs: ['r', 'w2', 'b2'], outputs: ['y'] },
        ],
      }),
      feeds: { x: new ort.Tensor('float32', filler(batch * inF, 3), [batch, inF]) },
    }),
  });
  cases.push({
    name: `MLP ${dims} train step, batch ${batch}`,
    flops: 3 * fwdFlops, // forward + two backward matmuls per layer
    ours: () => {
      const x = am.randn([batch, inF]);
      const t = am.randn([batch, out]);
      const net = oursNet();
      const run = () =>
        am.scope(() => {
          const loss = net.fwd(x).sub(t).pow(2).mean();
          loss.backward();
          am.noGrad(() => {
            for (const p of net.params) {
              p.assign(p.sub(p.grad.mul(1e-3)));
              p.grad.dispose();
              p.grad = null;
            }
          });
        });
      return fixed([x, t, ...net.params], run);
    },
    tfjs: () => {
      const x = tf.randomNormal([batch, inF]);
      const t = tf.randomNormal([batch, out]);
      const net = tfNet();
      const opt = tf.train.sgd(1e-3);
      return fixed([x, t, ...net.vs], () => tf.tidy(() => opt.minimize(() => tf.mean(tf.square(tf.sub(net.fwd(x), t))))));
    },
  });
}
mlpCases(784, 256, 10, 64);
mlpCases(2, 64, 3, 8); // a small model: per-op overhead dominates

{
  // issue 13's small CNN training step: conv8-relu-pool-conv16-relu-pool-dense10 on [64, 1, 28, 28],
  // softmax cross-entropy, plain SGD (lr 0.01), in samples per second. tfjs-wasm has no conv
  // weight-gradient kernel, so its side fails and shows as —.
  const batch = 64;
  cases.push({
    name: `small CNN train step, batch ${batch}`,
    samples: batch,
    skip: ['tfjs-cpu'], // ~9 s a step
    ours: () => {
      const { step, tensors } = smallCnn(am, batch, { scale: 0.05 });
      return fixed(tensors, step);
    },
    tfjs: () => {
      const x = tf.randomNormal([batch, 28, 28, 1]);
      const labels = tf.oneHot(tf.randomUniform([batch], 0, 10, 'int32'), 10);
      const vs = [[3, 3, 1, 8], [8], [3, 3, 8, 16], [16], [16 * 7 * 7, 10], [10]].map((s) => tf.variable(tf.mul(tf.randomNormal(s), 0.05)));
      const [c1, b1, c2, b2, w, b] = vs;
      const opt = tf.train.sgd(1e-2);
      const run = () =>
        tf.tidy(() =>
          opt.minimize(() => {
            let h = tf.maxPool(tf.relu(tf.add(tf.conv2d(x, c1, 1, 'same'), b1)), 2, 2, 'valid');
            h = tf.maxPool(tf.relu(tf.add(tf.conv2d(h, c2, 1, 'same'), b2)), 2, 2, 'valid');
            return tf.losses.softmaxCrossEntropy(labels, tf.add(tf.matMul(tf.reshape(h, [batch, -1]), w), b));
          }),
        );
      return fixed([x, labels, ...vs], run);
    },
  });
}

const PEERS = ['tfjs-cpu', 'tfjs-wasm', 'onnxruntime'];
const rate = (c, seconds) =>
  c.flops ? c.flops / seconds / 1e9 : c.bytes ? c.bytes / seconds / 1e9 : c.samples ? c.samples / seconds : c.calls / seconds / 1e3;
const unit = (c) => (c.flops ? 'GFLOP/s' : c.bytes ? 'GB/s' : c.samples ? 'samples/s' : 'k calls/s');

async function timeSync(c, side, setup) {
  for (let i = 0; i < 2; i++) setup.run(); // warm-up (JIT, buffers, tfjs kernels)
  const s = await measureStats(`${side} ${c.name}`, setup.run, timing);
  setup.free();
  return { ...s, rate: rate(c, s.median) };
}

async function timeOnnx(c) {
  const { model, feeds } = c.onnx();
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
  });
  for (let i = 0; i < 2; i++) await session.run(feeds);
  const s = await measureStats(`onnxruntime ${c.name}`, () => session.run(feeds), { ...timing, deferred: true });
  await session.release();
  return { ...s, rate: rate(c, s.median) };
}

if (args.quick) console.log('SMOKE RUN (--quick): short timing; the numbers below are not measurements.\n');
const loadBefore = load();
const rows = [];
for (const c of cases) {
  if (!selected(args, c.name)) continue;
  const sides = { '@aimodel': await timeSync(c, '@aimodel', c.ours()) };
  for (const [peer, backend] of [
    ['tfjs-cpu', 'cpu'],
    ['tfjs-wasm', 'wasm'],
  ]) {
    if (!c.tfjs || c.skip?.includes(peer)) continue;
    await tf.setBackend(backend);
    try {
      sides[peer] = await timeSync(c, peer, c.tfjs());
    } catch (e) {
      console.log(`${peer} cannot run ${c.name}: ${String(e.message ?? e).split('\n')[0]}`);
    }
  }
  if (c.onnx && ort) sides.onnxruntime = await timeOnnx(c);
  const row = { name: c.name, unit: unit(c), sides };
  rows.push(row);
  const fmt = (s) => (s ? s.rate.toFixed(2) : '—');
  console.log(`${c.name} (${row.unit}): @aimodel ${fmt(sides['@aimodel'])}; ${PEERS.map((p) => `${p} ${fmt(sides[p])}`).join('; ')}`);
}

const report = {
  date: new Date().toISOString(),
  machine: machine(),
  load: { before: loadBefore, after: load() },
  quick: args.quick,
  filter: args.filter,
  device: `cpu (${threads === 1 ? 'single thread' : `${threads} threads`})`,
  peers: {
    'tfjs-cpu': '@tensorflow/tfjs 4.22.0 (tfjs-backend-cpu)',
    'tfjs-wasm': `@tensorflow/tfjs-backend-wasm 4.22.0 (SIMD ${tf.env().getBool('WASM_HAS_SIMD_SUPPORT')}, one thread)`,
    onnxruntime: ort
      ? 'onnxruntime-node 1.30.0 (CPU execution provider, one intra-op thread; inference only)'
      : 'not installed (npm run bench installs it into benchmarks/node_modules)',
  },
  rows,
};
if (args.json) writeFileSync(args.json, `${JSON.stringify(report, null, 2)}\n`);
console.log(
  `\n${report.quick ? 'SMOKE RUN (--quick) — not a measurement\n' : ''}${report.machine}; load average ${report.load.before.toFixed(2)} → ${report.load.after.toFixed(2)}\n\n${peerTables(rows, PEERS)}`,
);
