// Issue 13's small CNN (conv8-relu-pool-conv16-relu-pool-dense10 on [batch, 1, 28, 28], softmax
// cross-entropy) for the CPU benchmarks: cpu.bench.mjs, threads.bench.mjs and cnn-step.mjs time the
// same step from here.

/**
 * Random data and weights on the current default device, and `step()`: forward, backward and,
 * with `update`, a plain SGD step (lr 0.01) — without it the gradients are freed and step() returns
 * a kept copy of the second conv's weight gradient (for bit comparisons). `tensors` lists what to dispose.
 */
export function smallCnn(am, batch, { update = true, scale = 0.1 } = {}) {
  const x = am.randn([batch, 1, 28, 28]);
  const labels = am.oneHot(am.randint(0, 10, [batch]), 10).to('float32');
  const ps = [[8, 1, 3, 3], [8], [16, 8, 3, 3], [16], [16 * 7 * 7, 10], [10]].map((s) => am.scope(() => am.randn(s).mul(scale)));
  for (const p of ps) p.requiresGrad = true;
  const [c1, b1, c2, b2, w, b] = ps;
  const step = () =>
    am.scope(() => {
      let h = am.maxPool2d(am.conv2d(x, c1, { bias: b1, padding: 1 }).relu(), 2);
      h = am.maxPool2d(am.conv2d(h, c2, { bias: b2, padding: 1 }).relu(), 2);
      const logits = h.reshape([batch, -1]).matmul(w).add(b);
      am.logSoftmax(logits, -1).mul(labels).sum().neg().div(batch).backward();
      const g = update ? undefined : am.keep(c2.grad.clone());
      am.noGrad(() => {
        for (const p of ps) {
          if (update) p.assign(p.sub(p.grad.mul(1e-2)));
          p.grad.dispose();
          p.grad = null;
        }
      });
      return g;
    });
  return { step, tensors: [x, labels, ...ps] };
}
