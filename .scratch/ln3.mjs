import * as am from '@aimodel/tensor';
const x = am.randn([16, 65536]);
for (let i = 0; i < 40; i++) am.layerNorm(x, 65536).dispose();
