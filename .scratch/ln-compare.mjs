import * as am from '@aimodel/tensor';
const x = am.randn([1024, 1024]);
const composite = () => am.scope(() => { const m = x.mean(-1, { keepdim: true }); const c = x.sub(m); const v = c.mul(c).mean(-1, { keepdim: true }); return c.mul(v.add(1e-5).rsqrt()); }).dispose();
const fused = () => am.layerNorm(x, 1024).dispose();
for (const [name, f] of [['composite', composite], ['fused', fused], ['composite', composite], ['fused', fused]]) {
  for (let i = 0; i < 3; i++) f();
  const ts = [];
  for (let i = 0; i < 15; i++) { const t0 = performance.now(); f(); ts.push(performance.now() - t0); }
  ts.sort((a, b) => a - b);
  console.log(name, ts[7].toFixed(2), 'ms median');
}
