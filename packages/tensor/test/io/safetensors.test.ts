import { expect, it } from 'vitest';
import { type DeviceName, type Tensor, tensor, zeros, arange, saveSafetensors, loadSafetensors, ArgumentError, DTypeError } from '../../src/index';
import { describeOnCpu } from '../helpers';

/** A safetensors file from a header object (JSON, padded to `pad` bytes if given) and raw data bytes. */
function buildFile(header: unknown, data: number[], pad = 0): Uint8Array {
  let json = new TextEncoder().encode(JSON.stringify(header));
  if (pad) {
    const p = new Uint8Array(Math.ceil(json.length / pad) * pad).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function headerOf(bytes: Uint8Array): { length: number; json: Record<string, unknown>; raw: string } {
  const length = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const raw = new TextDecoder().decode(bytes.subarray(8, 8 + length));
  return { length, json: JSON.parse(raw), raw };
}

const f32Bytes = (...v: number[]) => Array.from(new Uint8Array(new Float32Array(v).buffer));

describeOnCpu('safetensors', (device: DeviceName) => {
  it('round-trips float32, int32, bool, int8 and uint8 tensors, 0-d and zero-size included', async () => {
    const src: Record<string, Tensor> = {
      weight: tensor(
        [
          [1.5, -2, 3],
          [4, 5e-8, -6e7],
        ],
        { device },
      ),
      ids: tensor([7, -1, 2147483647, -2147483648], { device, dtype: 'int32' }),
      mask: tensor([true, false, true], { device }),
      q: tensor(
        [
          [-128, 127],
          [0, -5],
        ],
        { device, dtype: 'int8' },
      ),
      u: tensor([0, 200, 255], { device, dtype: 'uint8' }),
      scalar: tensor(3.25, { device }),
      empty: zeros([0, 3], { device }),
      view: arange(6, undefined, 1, { device }).reshape([2, 3]).transpose(0, 1), // non-contiguous source
    };
    const bytes = await saveSafetensors(src);
    const back = loadSafetensors(bytes, { device });
    expect(Object.keys(back).sort()).toEqual(['empty', 'ids', 'mask', 'q', 'scalar', 'u', 'view', 'weight']);
    for (const [name, t] of Object.entries(src)) {
      expect(back[name].dtype, name).toBe(t.dtype);
      expect(back[name].shape, name).toEqual(t.shape);
      expect(back[name].device, name).toBe(device);
      expect(Array.from(await back[name].data()), name).toEqual(Array.from(await t.data()));
    }
    expect(await back.mask.toArray()).toEqual([true, false, true]);
    await expect(back.view).toBeAllClose([
      [0, 3],
      [1, 4],
      [2, 5],
    ]);
    expect(back.scalar.shape).toEqual([]);
    expect(back.empty.shape).toEqual([0, 3]);
  });

  it('writes metadata and sorted keys into the header', async () => {
    const bytes = await saveSafetensors({ b: tensor([1], { device }), a: tensor([2, 3], { device, dtype: 'int32' }) }, { format: 'pt', note: 'hi' });
    const { json, raw } = headerOf(bytes);
    expect(json.__metadata__).toEqual({ format: 'pt', note: 'hi' });
    expect(json.a).toEqual({ dtype: 'I32', shape: [2], data_offsets: [0, 8] });
    expect(json.b).toEqual({ dtype: 'F32', shape: [1], data_offsets: [8, 12] });
    expect(raw.indexOf('"a"')).toBeLessThan(raw.indexOf('"b"'));
    expect(Object.keys(loadSafetensors(bytes))).toEqual(['a', 'b']);
  });

  it('byte layout: u64 LE header length (multiple of 8), JSON header, raw little-endian data', async () => {
    const bytes = await saveSafetensors({ x: tensor([1, 2], { device }) });
    const { length, json, raw } = headerOf(bytes);
    const expectedJson = '{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
    expect(raw.trimEnd()).toBe(expectedJson);
    expect(length).toBe(Math.ceil(expectedJson.length / 8) * 8);
    expect(length % 8).toBe(0);
    expect(Array.from(bytes.subarray(0, 8))).toEqual([length, 0, 0, 0, 0, 0, 0, 0]);
    expect(raw.slice(expectedJson.length)).toBe(' '.repeat(length - expectedJson.length));
    expect(json).toEqual({ x: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } });
    expect(bytes.length).toBe(8 + length + 8);
    expect(Array.from(bytes.subarray(8 + length))).toEqual([0, 0, 0x80, 0x3f, 0, 0, 0, 0x40]);
    const empty = await saveSafetensors({});
    expect(headerOf(empty).raw).toBe('{}      ');
    expect(loadSafetensors(empty)).toEqual({});
  });

  it('loads a hand-built file whose data offsets are not aligned', async () => {
    // header length 61 is odd on purpose; x starts at data byte 1
    const header = { y: { dtype: 'U8', shape: [1], data_offsets: [0, 1] }, x: { dtype: 'F32', shape: [2, 1], data_offsets: [1, 9] }, __metadata__: { k: 'v' } };
    const file = buildFile(header, [7, ...f32Bytes(1.5, -2)]);
    expect(headerOf(file).length % 2).toBe(1);
    const sub = new Uint8Array(file.length + 3);
    sub.set(file, 3); // and the file itself sits at an odd byte offset of its buffer
    const t = loadSafetensors(sub.subarray(3), { device });
    expect(Object.keys(t).sort()).toEqual(['x', 'y']);
    expect(t.x.shape).toEqual([2, 1]);
    await expect(t.x).toBeAllClose([[1.5], [-2]]);
    expect(t.y.dtype).toBe('uint8');
    await expect(t.y).toBeAllClose([7]);
  });

  it('rejects truncated files and impossible header lengths', async () => {
    const good = await saveSafetensors({ a: tensor([1, 2, 3], { device }) });
    expect(() => loadSafetensors(good.subarray(0, good.length - 1))).toThrow(ArgumentError);
    expect(() => loadSafetensors(good.subarray(0, good.length - 1))).toThrow(
      /^loadSafetensors: not a valid safetensors file: tensor 'a' has offsets \[0, 12\] that do not match shape \[3\] of F32 or the file size/,
    );
    expect(() => loadSafetensors(good.subarray(0, 20))).toThrow(/^loadSafetensors: not a valid safetensors file: header length \d+ exceeds the file size 20/);
    expect(() => loadSafetensors(good.subarray(0, 4))).toThrow(/^loadSafetensors: not a valid safetensors file: only 4 bytes/);
    const notJson = buildFile({}, []);
    notJson[8] = 0x7b + 1; // '|' instead of '{'
    expect(() => loadSafetensors(notJson)).toThrow(/the header is not JSON/);
  });

  it('an unsupported dtype is a DTypeError naming the tensor', () => {
    const file = buildFile({ h: { dtype: 'C64', shape: [1], data_offsets: [0, 8] } }, [0, 0, 0, 0, 0, 0, 0, 0], 8);
    expect(() => loadSafetensors(file)).toThrow(DTypeError);
    expect(() => loadSafetensors(file)).toThrow(/^loadSafetensors: tensor 'h' has dtype C64; supported: F32, I32, BOOL, I8, U8, F64, F16, BF16, I64, I16, U16/);
  });

  it("converts PyTorch's F64, F16, BF16 to float32 and I64, I16, U16 to int32", async () => {
    const bytes: number[] = [];
    const le = (n: number, put: (v: DataView) => void) => {
      const b = new Uint8Array(n);
      put(new DataView(b.buffer));
      bytes.push(...b);
    };
    le(16, (v) => {
      v.setFloat64(0, 0.1, true);
      v.setFloat64(8, -2.5, true);
    }); // F64 [0.1, -2.5]
    le(6, (v) => {
      v.setUint16(0, 0x3c00, true);
      v.setUint16(2, 0xc000, true);
      v.setUint16(4, 0x0001, true);
    }); // F16 [1, -2, 2^-24]
    le(4, (v) => {
      v.setUint16(0, 0x3fc0, true);
      v.setUint16(2, 0xff80, true);
    }); // BF16 [1.5, -inf]
    le(16, (v) => {
      v.setBigInt64(0, 7n, true);
      v.setBigInt64(8, -3n, true);
    }); // I64 [7, -3]
    le(4, (v) => {
      v.setInt16(0, -300, true);
      v.setUint16(2, 65535, true);
    }); // I16 [-300], U16 [65535]
    const file = buildFile(
      {
        d: { dtype: 'F64', shape: [2], data_offsets: [0, 16] },
        h: { dtype: 'F16', shape: [3], data_offsets: [16, 22] },
        b: { dtype: 'BF16', shape: [2], data_offsets: [22, 26] },
        n: { dtype: 'I64', shape: [2], data_offsets: [26, 42] },
        s: { dtype: 'I16', shape: [1], data_offsets: [42, 44] },
        u: { dtype: 'U16', shape: [1], data_offsets: [44, 46] },
      },
      bytes,
    );
    const t = loadSafetensors(file);
    expect(t.d.dtype).toBe('float32');
    expect(Array.from(await t.d.data())).toEqual([Math.fround(0.1), -2.5]);
    expect(Array.from(await t.h.data())).toEqual([1, -2, 2 ** -24]);
    expect(Array.from(await t.b.data())).toEqual([1.5, Number.NEGATIVE_INFINITY]);
    expect(t.n.dtype).toBe('int32');
    expect(Array.from(await t.n.data())).toEqual([7, -3]);
    expect(Array.from(await t.s.data())).toEqual([-300]);
    expect(Array.from(await t.u.data())).toEqual([65535]);
    const big = buildFile({ n: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, [0, 0, 0, 0, 1, 0, 0, 0]);
    expect(() => loadSafetensors(big)).toThrow(/tensor 'n' \(I64\) holds 4294967296, outside the int32 range/);
  });

  it('rejects offsets that disagree with the shape, point outside the file, or are missing', () => {
    const data = f32Bytes(1, 2);
    const bad = (offsets: unknown, shape: unknown = [2]) => buildFile({ a: { dtype: 'F32', shape, data_offsets: offsets } }, data);
    expect(() => loadSafetensors(bad([0, 4]))).toThrow(/tensor 'a' has offsets \[0, 4\] that do not match shape \[2\]/);
    expect(() => loadSafetensors(bad([4, 12]))).toThrow(ArgumentError);
    expect(() => loadSafetensors(bad([-4, 4]))).toThrow(ArgumentError);
    expect(() => loadSafetensors(bad([8, 0]))).toThrow(ArgumentError);
    expect(() => loadSafetensors(bad(undefined))).toThrow(ArgumentError);
    expect(() => loadSafetensors(bad([0.5, 8.5]))).toThrow(ArgumentError);
    expect(() => loadSafetensors(bad([0, 8], [2, -1]))).toThrow(/^loadSafetensors:/);
    expect(() => loadSafetensors(bad([0, 8], 'ab'))).toThrow(/^loadSafetensors:/);
    expect(() => loadSafetensors(buildFile([1, 2], []))).toThrow(ArgumentError);
    expect(() => loadSafetensors(buildFile({ a: 5 }, []))).toThrow(ArgumentError);
  });

  it('save rejects non-string metadata and the reserved name', async () => {
    await expect(saveSafetensors({ a: tensor([1], { device }) }, { n: 5 as unknown as string })).rejects.toThrow(
      /^saveSafetensors: metadata values must be strings, got number for 'n'/,
    );
    await expect(saveSafetensors({ __metadata__: tensor([1], { device }) })).rejects.toThrow(ArgumentError);
  });
});
