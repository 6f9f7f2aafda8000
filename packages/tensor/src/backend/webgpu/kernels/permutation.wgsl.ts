import type { Storage } from '../../backend';
import { type KernelSource, memoKernel } from '../pipeline-cache';
import type { Runtime } from '../runtime';
import { bufferOf } from '../storage';
import { params } from '../wgsl/params';
import { wgsl } from '../wgsl/tag';

/**
 * Generator.permutation on the device, value for value: one invocation runs the Fisher–Yates
 * shuffle (it is sequential: each swap reads what the previous ones left) on the Philox4x32-10 stream
 * from the generator's key and counter, two 32-bit words a swap as on the host. The host forms the
 * swap index in double precision, ⌊round₅₃(u·(i + 1))⌋ with u = N·2⁻⁵³, N the 53-bit number from the
 * two words; WGSL has no f64, so X = N·(i + 1) is formed exactly in three 32-bit limbs, rounded to 53
 * significant bits (half to even) as the double product is, and shifted down by 53.
 * Params: n, key0, key1, counter (low word), counter (high word).
 */
const permutationKernel = memoKernel(function permutationKernel(): KernelSource {
  return {
    key: 'permutation:philox',
    workgroupSize: [1, 1, 1],
    code: wgsl`
@group(0) @binding(0) var<storage, read_write> order: array<i32>;
@group(0) @binding(1) var<storage, read> p: array<u32>;

// a·b as (low word, high word)
fn mulWide(a: u32, b: u32) -> vec2<u32> {
  let aL = a & 0xffffu;
  let aH = a >> 16u;
  let bL = b & 0xffffu;
  let bH = b >> 16u;
  let lh = aL * bH;
  let hl = aH * bL;
  let mid = ((aL * bL) >> 16u) + (lh & 0xffffu) + (hl & 0xffffu);
  return vec2<u32>(a * b, aH * bH + (lh >> 16u) + (hl >> 16u) + (mid >> 16u));
}

fn philox(counter: vec4<u32>, key0: vec2<u32>) -> vec4<u32> {
  var c = counter;
  var k = key0;
  for (var r = 0u; r < 10u; r++) {
    let p0 = mulWide(0xd2511f53u, c.x);
    let p1 = mulWide(0xcd9e8d57u, c.z);
    c = vec4<u32>(p1.y ^ c.y ^ k.x, p1.x, p0.y ^ c.w ^ k.y, p0.x);
    k = k + vec2<u32>(0x9e3779b9u, 0xbb67ae85u);
  }
  return c;
}

// ⌊round₅₃(N·m) / 2⁵³⌋ for N = (w0 >> 5)·2²⁶ + (w1 >> 6) < 2⁵³ and m < 2³¹: the host's ⌊u·m⌋
fn swapIndex(w0: u32, w1: u32, m: u32) -> u32 {
  let a = w0 >> 5u;
  let nlo = (a << 26u) | (w1 >> 6u);
  let nhi = a >> 6u;
  let lo = mulWide(nlo, m);
  let hi = mulWide(nhi, m);
  let x0 = lo.x;
  var x1 = lo.y + hi.x;
  var x2 = hi.y + select(0u, 1u, x1 < lo.y);
  var bits = 32u - countLeadingZeros(x0);
  if (x1 != 0u) { bits = 64u - countLeadingZeros(x1); }
  if (x2 != 0u) { bits = 96u - countLeadingZeros(x2); }
  if (bits > 53u) {
    let d = bits - 53u; // ≤ 31: the dropped bits are all in x0
    let mask = (1u << d) - 1u;
    let r = x0 & mask;
    let half = 1u << (d - 1u);
    if (r > half || (r == half && ((x0 >> d) & 1u) == 1u)) {
      let kept = x0 & ~mask;
      let carry = select(0u, 1u, kept + (1u << d) < kept);
      x1 = x1 + carry;
      x2 = x2 + select(0u, 1u, carry == 1u && x1 == 0u);
    }
  }
  return (x2 << 11u) | (x1 >> 21u);
}

@compute @workgroup_size(1)
fn main() {
  let n = p[0];
  for (var i = 0u; i < n; i++) { order[i] = i32(i); }
  if (n < 2u) { return; }
  let key = vec2<u32>(p[1], p[2]);
  var counter = vec2<u32>(p[3], p[4]);
  var block = vec4<u32>();
  var k = 0u;
  for (var i = n - 1u; i > 0u; i--) {
    let even = (k & 1u) == 0u;
    if (even) {
      block = philox(vec4<u32>(counter.x, counter.y, 0u, 0u), key);
      counter.x = counter.x + 1u;
      if (counter.x == 0u) { counter.y = counter.y + 1u; }
    }
    k = k + 1u;
    let j = min(swapIndex(select(block.z, block.x, even), select(block.w, block.y, even), i + 1u), n - 1u);
    let t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
}`,
  };
});

/**
 * Fill `out` (fresh, contiguous int32, n = out.size) with the permutation Generator.permutation(n)
 * returns for the generator state (key, counter), on the device.
 */
export function permutation(rt: Runtime, out: Storage, key0: number, key1: number, counter: number): void {
  if (out.size === 0) return;
  const p = params()
    .u32(out.size)
    .u32(key0)
    .u32(key1)
    .u32(counter >>> 0)
    .u32(Math.floor(counter / 2 ** 32) >>> 0);
  rt.dispatch(permutationKernel(), [bufferOf(out)], p, [1, 1, 1]);
}
