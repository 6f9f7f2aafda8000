/**
 * B operands the int8 gemm (./int8-gemm.ts) keeps packed in its memory between calls: a quantized
 * layer's weight is the same storage on every forward, so its copy, sign extension and panel
 * packing (7–11% of a 1024×1024 Linear at batch 64) are done once instead of per call.
 *
 *   gemm memory: [scratch 64 | held region: packed B blocks | per-call layout (raw A, …, stage)]
 *   held B: all K blocks of the driver's KC, each all Np/nr panels of kc×nr in the kernel's
 *           layout ([k block][panel][kc/2][nr][2] int16, or [k block][panel][kc/4][nr] words for
 *           the relaxed kernel), so block (j0, k0) starts at k0·Np·packed + (j0/nr)·kc·nr·packed
 *
 * A B is held on its second use with the same geometry (a one-off product packs per call, as
 * before), as a derived copy of its storage (../storage.ts): any access to the storage's values
 * (a write may follow) or freeing it releases the copy, and `memory()` counts its bytes. The
 * region is first fit over 64-byte-aligned blocks; freed blocks merge, and the region's end moves
 * back when its last block goes, so the per-call layout after it moves too (it is laid out anew
 * on every call). The kernels read the same packed bytes either way, so results do not change.
 */
import type { Storage } from '../../backend';
import { keepDerived } from '../storage';

/** Which kernel's layout a held B is packed in: the standard kernel's int16 pairs or the relaxed kernel's int8 words. */
export type HeldScheme = 'std' | 'dot';

/** A held B: its scheme and its block of the region (byte offset from the region's start). */
export interface HeldB {
  readonly scheme: HeldScheme;
  readonly at: number;
  readonly bytes: number;
}

/** Free blocks of a region, sorted by offset and merged; `end` is the bytes in use from its start. */
class Region {
  end = 0;
  private readonly free: { at: number; size: number }[] = [];

  alloc(size: number): number {
    const i = this.free.findIndex((b) => b.size >= size);
    if (i < 0) {
      this.end += size;
      return this.end - size;
    }
    const b = this.free[i];
    const at = b.at;
    if (b.size === size) this.free.splice(i, 1);
    else [b.at, b.size] = [b.at + size, b.size - size];
    return at;
  }

  release(at: number, size: number): void {
    let i = this.free.findIndex((b) => b.at > at);
    if (i < 0) i = this.free.length;
    this.free.splice(i, 0, { at, size });
    // merge with the next block, then with the previous one
    const next = this.free[i + 1];
    if (next && at + size === next.at) {
      this.free[i].size += next.size;
      this.free.splice(i + 1, 1);
    }
    const prev = this.free[i - 1];
    if (prev && prev.at + prev.size === at) {
      prev.size += this.free[i].size;
      this.free.splice(i, 1);
    }
    const last = this.free.at(-1);
    if (last && last.at + last.size === this.end) {
      this.end = last.at;
      this.free.pop();
    }
  }
}

/** The B operands one gemm holds, per storage, geometry (offset, strides, N, K) and scheme. */
export class HeldOperands {
  private readonly region = new Region();
  private readonly held = new WeakMap<Storage, Map<string, HeldB>>();
  private readonly seen = new WeakMap<Storage, string>();

  /** Bytes the region takes at the start of the gemm's memory (a multiple of 64). */
  get end(): number {
    return this.region.end;
  }

  /** The geometry key of a B operand. */
  static key(bOff: number, brs: number, bcs: number, N: number, K: number): string {
    return `${bOff},${brs},${bcs},${N},${K}`;
  }

  /** The held B of `s` with this geometry in this scheme's layout, if any. */
  find(s: Storage, key: string, scheme: HeldScheme): HeldB | undefined {
    return this.held.get(s)?.get(`${key}:${scheme}`);
  }

  /** Whether to hold this B now: its second use with this geometry in a row (the first is remembered). */
  wanted(s: Storage, key: string): boolean {
    if (this.seen.get(s) === key) return true;
    this.seen.set(s, key);
    return false;
  }

  /** A new held B of `bytes` (rounded up to 64) for `s`, released with the storage's derived copies. */
  hold(s: Storage, geometry: string, scheme: HeldScheme, bytes: number): HeldB {
    const size = Math.ceil(bytes / 64) * 64;
    const key = `${geometry}:${scheme}`;
    const h: HeldB = { scheme, at: this.region.alloc(size), bytes: size };
    let byKey = this.held.get(s);
    if (!byKey) this.held.set(s, (byKey = new Map()));
    byKey.set(key, h);
    keepDerived(s, {
      bytes: size,
      release: () => {
        this.region.release(h.at, size);
        const m = this.held.get(s);
        m?.delete(key);
        if (m?.size === 0) this.held.delete(s);
      },
    });
    return h;
  }
}
