/**
 * Small dense products (a dense layer's forward and gradients: 64×784×10) on the worker threads,
 * where the operands lie in the CPU heap: too small for the tiled threaded gemm (./wasm/gemm-driver.ts
 * copies them into its own memory and splits by tiles, which costs more than it saves), they are
 * split here into chunks of heap calls (./wasm/heap-pool.ts) along the longer side: each chunk
 * copies its panels of that operand out of the tensor (zero-padded), packs them, runs the gemm's
 * macro-kernel against the other operand (packed once by the calling thread), K block by K block
 * into its stage, and copies its block of C out. Same kernel, K blocking (KC) and float32 stage
 * between K blocks as the driver, so every element has the driver's bits, on any thread count.
 */
import type { Storage, View } from '../backend';
import { heapAddress, outData } from './storage';
import { settleIfWritten } from './threads';
import { BLOCKING, TILE } from './wasm/gemm-kernel';
import { type Emit, heapCall, heapChunks, heapPooled, heapScratch } from './wasm/heap-pool';

/** The driver's K block (a multiple of the packing's 4 k, as the driver rounds it). */
const KC = BLOCKING.kc;
/** Chunks per thread. */
const CHUNKS_PER_THREAD = 4;

const up = (n: number, m: number) => Math.ceil(n / m) * m;

/** An operand in the heap: byte address of element (0, 0), strides in floats along its lines and its depth (k). */
interface Operand {
  at: number;
  ls: number;
  ks: number;
}

/**
 * Emits the copy of lines [l0, l0 + nl) × depth [k0, k0 + kc) of x into `raw` (zeroed first: the
 * padding up to `panels` panels of w lines and kcp), then its packing into `dst`: lines of k when
 * its depth is contiguous, else rows of k.
 */
function packPart(
  emit: Emit,
  x: Operand,
  A: boolean,
  l0: number,
  nl: number,
  k0: number,
  kc: number,
  kcp: number,
  w: number,
  panels: number,
  raw: number,
  dst: number,
): void {
  const nlp = panels * w;
  emit('zero', raw * 4, nlp * kcp);
  if (x.ks === 1) {
    emit('copy_rows', x.at + (l0 * x.ls + k0) * 4, x.ls * 4, raw * 4, kcp * 4, nl, kc);
    emit(A ? 'packLinesA' : 'packLinesB', raw * 4, kcp * 4, dst * 4, panels, kcp / 4);
  } else {
    emit('copy_rows', x.at + (l0 + k0 * x.ks) * 4, x.ks * 4, raw * 4, nlp * 4, kc, nl);
    emit(A ? 'packRowsA' : 'packRowsB', raw * 4, nlp * 4, dst * 4, panels, kcp);
  }
}

/**
 * C [M, N] (rows ldc apart, at byte address cAt) = A · B for heap operands a (rows M, depth K) and
 * b (columns N, depth K) across the worker threads; false (nothing done) when the pool is not up
 * or the layout does not allow it (a stride other than 1 along both sides of an operand).
 */
function denseGemm(M: number, N: number, K: number, a: Operand, b: Operand, cAt: number, ldc: number): boolean {
  if ((a.ks !== 1 && a.ls !== 1) || (b.ks !== 1 && b.ls !== 1) || !heapPooled()) return false;
  const { mr, nr } = TILE;
  const mP = Math.ceil(M / mr),
    nP = Math.ceil(N / nr),
    nK = Math.ceil(K / KC);
  // split the side with more panels; the other operand is packed once, here
  const rows = mP >= nP;
  const [split, shared] = rows ? [a, b] : [b, a];
  const [sw, shw] = rows ? [mr, nr] : [nr, mr];
  const [sPanels, shPanels, sLines, shLines] = rows ? [mP, nP, M, N] : [nP, mP, N, M];
  const chunks = Math.min(sPanels, 2 * CHUNKS_PER_THREAD);
  const per = Math.ceil(sPanels / chunks);
  const kcpMax = up(Math.min(K, KC), 4);
  const blockK = (kb: number) => Math.min(KC, K - kb * KC);
  // shared: raw block, then the packed blocks; per chunk: raw, packed, stage (C rows × its columns)
  const shRaw = shPanels * shw * kcpMax;
  let shPacked = 0;
  for (let kb = 0; kb < nK; kb++) shPacked += shPanels * shw * up(blockK(kb), 4);
  const ldS = rows ? nP * nr : per * nr,
    stRows = rows ? per * mr : mP * mr;
  const area = up(2 * per * sw * kcpMax, 16) + up(stRows * ldS, 16);
  const at = heapScratch(up(shRaw, 16) + up(shPacked, 16) + chunks * area);
  if (at === null) return false;
  const base = at >> 2,
    packed0 = base + up(shRaw, 16),
    first = packed0 + up(shPacked, 16);
  settleIfWritten(shared.at); // packed here: a job left running may still write it (deferred, ./threads.ts deferSettle)
  const shAt: number[] = [];
  for (let kb = 0, p = packed0; kb < nK; p += shPanels * shw * up(blockK(kb), 4), kb++) {
    shAt.push(p);
    packPart(heapCall, shared, !rows, 0, shLines, kb * KC, blockK(kb), up(blockK(kb), 4), shw, shPanels, base, p);
  }
  // per chunk and K block: zero, copy, pack, gemm; then the copy out. The job is left running (the
  // caller reads none of it) and its table replayed for the same operands' blocks and shapes.
  const key = `d${[M, N, K, a.at, a.ls, a.ks, b.at, b.ls, b.ks, cAt, ldc, base]}`;
  return heapChunks(
    Math.ceil(sPanels / per),
    4 * nK + 1,
    (emit, c) => {
      const p0 = c * per,
        np = Math.min(per, sPanels - p0),
        a0 = first + c * area,
        raw = a0,
        pk = raw + per * sw * kcpMax,
        st = a0 + up(2 * per * sw * kcpMax, 16);
      const nl = Math.min(np * sw, sLines - p0 * sw);
      for (let kb = 0; kb < nK; kb++) {
        const kc = blockK(kb),
          kcp = up(kc, 4);
        packPart(emit, split, rows, p0 * sw, nl, kb * KC, kc, kcp, sw, np, raw, pk);
        const [pa, pb, mp, npn] = rows ? [pk, shAt[kb], np, nP] : [shAt[kb], pk, mP, np];
        emit('gemm', pa * 4, pb * 4, st * 4, mp, npn, kcp, ldS * 4, kb > 0 ? 1 : 0);
      }
      // the chunk's block of C: rows p0·mr… (row split) or columns p0·nr… (column split)
      if (rows) emit('copy_rows', st * 4, ldS * 4, cAt + p0 * mr * ldc * 4, ldc * 4, nl, N);
      else emit('copy_rows', st * 4, ldS * 4, cAt + p0 * nr * 4, ldc * 4, M, nl);
    },
    true,
    key,
  );
}

/**
 * out [rows, N] = a [rows, K] · b [K, N] (2-D views, or A's batches folded into `rows` rows
 * `ars` apart) in the heap, across the worker threads, when the product is small enough for this
 * path (`work` multiply-adds below the tiled gemm's split size) and the pool is up; false otherwise.
 */
export function denseMatmul(rows: number, N: number, K: number, a: View, ars: number, acs: number, b: View, out: Storage): boolean {
  const aAt = heapAddress(a),
    bAt = heapAddress(b);
  if (aAt < 0 || bAt < 0 || (out as { block?: number }).block === undefined || a.storage === out || b.storage === out) return false;
  const br = b.shape.length;
  outData(out); // written whole
  return denseGemm(rows, N, K, { at: aAt, ls: ars, ks: acs }, { at: bAt, ls: b.strides[br - 1], ks: b.strides[br - 2] }, heapAddress(out), N);
}
