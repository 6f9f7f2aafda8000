/**
 * Builder for a dispatch's parameter words: the host side of `var<storage, read> p: array<u32>`.
 * Every value takes one 32-bit word; read them in WGSL as `p[i]`, `bitcast<i32>(p[i])` or
 * `bitcast<f32>(p[i])`.
 * @example
 * ```ts no-run: internal to the WebGPU backend (not exported)
 * rt.dispatch(kernel, [x, out], params().u32(n).f32(alpha).i32s(strides), linearGrid(n, 64));
 * ```
 */
export class ParamWriter {
  private words = new Uint32Array(16);
  private view = new DataView(this.words.buffer);
  private n = 0;

  /** Words written so far. */
  get length(): number {
    return this.n;
  }

  u32(v: number): this {
    this.slot().setUint32(this.n++ * 4, v >>> 0, true);
    return this;
  }
  i32(v: number): this {
    this.slot().setInt32(this.n++ * 4, v | 0, true);
    return this;
  }
  f32(v: number): this {
    this.slot().setFloat32(this.n++ * 4, v, true);
    return this;
  }
  u32s(vs: ArrayLike<number>): this {
    for (let i = 0; i < vs.length; i++) this.u32(vs[i]);
    return this;
  }
  i32s(vs: ArrayLike<number>): this {
    for (let i = 0; i < vs.length; i++) this.i32(vs[i]);
    return this;
  }
  f32s(vs: ArrayLike<number>): this {
    for (let i = 0; i < vs.length; i++) this.f32(vs[i]);
    return this;
  }

  /** The words as a Uint32Array (a view; do not keep it across further writes). */
  finish(): Uint32Array {
    return this.words.subarray(0, this.n);
  }

  private slot(): DataView {
    if (this.n === this.words.length) {
      const grown = new Uint32Array(this.words.length * 2);
      grown.set(this.words);
      this.words = grown;
      this.view = new DataView(grown.buffer);
    }
    return this.view;
  }
}

/** A new parameter builder. */
export function params(): ParamWriter {
  return new ParamWriter();
}

/** Parameter words from a builder, or from a list of u32 values. */
export function paramWords(p: ParamWriter | readonly number[] | undefined): Uint32Array {
  if (!p) return new Uint32Array(0);
  if (p instanceof ParamWriter) return p.finish();
  return Uint32Array.from(p, (v) => v >>> 0);
}
