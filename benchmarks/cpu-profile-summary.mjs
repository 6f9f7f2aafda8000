// Summarises a V8 .cpuprofile (node --cpu-prof) of an @aimodel training step by op: each sample is
// charged to the innermost frame whose function name is in OPS below (backend primitives and op
// families), else to GC / "(program)" / other. Usage: node benchmarks/cpu-profile-summary.mjs <file.cpuprofile>
import { readFileSync } from 'node:fs';

const OPS = [
  ['conv2dBackwardInput', 'conv input gradient'],
  ['conv2dBackwardWeight', 'conv weight gradient'],
  ['conv2d', 'conv forward'],
  ['maxPool2dIndices', 'maxPool forward (argmax)'],
  ['maxPool2d', 'maxPool forward'],
  ['maxPool2x2', 'maxPool forward'],
  ['maxPool2dBackward', 'maxPool backward'],
  ['scatterAdd', 'scatterAdd (maxPool backward)'],
  ['gather', 'gather (maxPool forward values)'],
  ['avgPool2d', 'avgPool'],
  ['matmul', 'matmul (dense)'],
  ['adamStep_', 'Adam step'],
  ['adamStep', 'Adam step'],
  ['logSoftmax', 'logSoftmax / crossEntropy'],
  ['crossEntropy', 'logSoftmax / crossEntropy'],
  ['softmax', 'logSoftmax / crossEntropy'],
  ['reduce', 'reductions (sum, bias grad)'],
  ['sumToShape', 'reductions (sum, bias grad)'],
  ['binary', 'elementwise binary'],
  ['unary', 'elementwise unary'],
  ['where', 'elementwise (where/ternary)'],
  ['fill', 'fill'],
  ['copy', 'copy / contiguous'],
  ['dropout', 'dropout'],
  ['random', 'random'],
  ['backward', 'autograd bookkeeping'],
];
const prof = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const catOf = new Map();
function category(id) {
  if (catOf.has(id)) return catOf.get(id);
  const n = byId.get(id);
  const name = n.callFrame.functionName;
  let cat;
  if (name === '(garbage collector)') cat = 'GC';
  else if (name === '(idle)' || name === '(program)') cat = name;
  else {
    const hit = OPS.find(([f]) => name === f || name.replace(/\d+$/, '') === f);
    if (hit) cat = hit[1];
    else {
      const p = parent.get(id);
      cat = p === undefined ? 'other (JS glue, allocation)' : category(p);
    }
  }
  catOf.set(id, cat);
  return cat;
}
const totals = new Map();
const dts = prof.timeDeltas;
for (let i = 0; i < prof.samples.length; i++) {
  const c = category(prof.samples[i]);
  totals.set(c, (totals.get(c) ?? 0) + (dts[i + 1] ?? 0));
}
const all = [...totals.values()].reduce((a, b) => a + b, 0);
console.log('| where | ms | share |\n|---|---:|---:|');
for (const [c, us] of [...totals].sort((a, b) => b[1] - a[1])) console.log(`| ${c} | ${(us / 1000).toFixed(0)} | ${((100 * us) / all).toFixed(1)}% |`);
// the heaviest leaf functions by self time
const self = new Map();
for (let i = 0; i < prof.samples.length; i++) {
  const n = byId.get(prof.samples[i]);
  const k = `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.split('/').pop()}:${n.callFrame.lineNumber}`;
  self.set(k, (self.get(k) ?? 0) + (dts[i + 1] ?? 0));
}
console.log('\nself time, top 25:');
for (const [k, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`${(us / 1000).toFixed(0).padStart(7)} ms  ${k}`);
