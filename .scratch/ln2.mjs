import * as am from '@aimodel/tensor';
for (const [r, c] of [[1024, 1024], [16, 65536], [65536, 16]]) {
  const x = am.randn([r, c]);
  const f = () => am.layerNorm(x, c).dispose();
  for (let i = 0; i < 3; i++) f();
  const ts = [];
  for (let i = 0; i < 15; i++) { const t0 = performance.now(); f(); ts.push(performance.now() - t0); }
  ts.sort((a, b) => a - b);
  const g = () => x.mul(2).dispose();
  const ts2 = [];
  for (let i = 0; i < 15; i++) { const t0 = performance.now(); g(); ts2.push(performance.now() - t0); }
  ts2.sort((a, b) => a - b);
  console.log(r, c, ts[7].toFixed(2), 'ms; mul', ts2[7].toFixed(2));
}
