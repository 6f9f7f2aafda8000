// A minimal ONNX model writer for the benchmark peers: enough of onnx.proto (ModelProto, GraphProto,
// NodeProto, AttributeProto, TensorProto, ValueInfoProto) to build one-op graphs and small MLPs as
// bytes for onnxruntime-node, with no protobuf dependency. Field numbers follow onnx/onnx.proto.

const enc = new TextEncoder();

class Writer {
  bytes = [];
  varint(v) {
    let n = BigInt.asUintN(64, BigInt(v));
    do {
      let b = Number(n & 0x7fn);
      n >>= 7n;
      if (n) b |= 0x80;
      this.bytes.push(b);
    } while (n);
    return this;
  }
  tag(field, wire) {
    return this.varint((field << 3) | wire);
  }
  int(field, v) {
    return this.tag(field, 0).varint(v);
  }
  float(field, v) {
    const b = new Uint8Array(new Float32Array([v]).buffer);
    this.tag(field, 5).bytes.push(...b);
    return this;
  }
  raw(field, data) {
    this.tag(field, 2).varint(data.length);
    for (let i = 0; i < data.length; i++) this.bytes.push(data[i]);
    return this;
  }
  str(field, s) {
    return this.raw(field, enc.encode(s));
  }
  msg(field, build) {
    const w = new Writer();
    build(w);
    return this.raw(field, w.bytes);
  }
  done() {
    return Uint8Array.from(this.bytes);
  }
}

const FLOAT = 1; // TensorProto.DataType.FLOAT
const INT64 = 7;

function valueInfo(w, field, name, shape) {
  w.msg(field, (v) => {
    v.str(1, name);
    v.msg(2, (t) =>
      t.msg(1, (tt) => {
        tt.int(1, FLOAT);
        tt.msg(2, (s) => {
          for (const d of shape) s.msg(1, (dim) => dim.int(1, d));
        });
      }),
    );
  });
}

function attribute(w, name, value) {
  w.msg(5, (a) => {
    a.str(1, name);
    if (Array.isArray(value)) {
      for (const v of value) a.int(8, v);
      a.int(20, 7); // INTS
    } else if (Number.isInteger(value)) {
      a.int(3, value);
      a.int(20, 2); // INT
    } else {
      a.float(2, value);
      a.int(20, 1); // FLOAT
    }
  });
}

/**
 * Serialize a graph. `inputs`/`outputs`: [{ name, shape }]; `initializers`: [{ name, shape, data
 * (Float32Array | BigInt64Array) }]; `nodes`: [{ op, inputs, outputs, attrs }]. Opset 17, IR 8.
 */
export function onnxModel({ inputs, outputs, initializers = [], nodes }) {
  const w = new Writer();
  w.int(1, 8); // ir_version
  w.str(2, '@aimodel benchmarks');
  w.msg(7, (g) => {
    nodes.forEach((n, i) =>
      g.msg(1, (nw) => {
        for (const x of n.inputs) nw.str(1, x);
        for (const x of n.outputs) nw.str(2, x);
        nw.str(3, `n${i}`);
        nw.str(4, n.op);
        for (const [k, v] of Object.entries(n.attrs ?? {})) attribute(nw, k, v);
      }),
    );
    g.str(2, 'bench');
    for (const t of initializers)
      g.msg(5, (tw) => {
        for (const d of t.shape) tw.int(1, d);
        tw.int(2, t.data instanceof BigInt64Array ? INT64 : FLOAT);
        tw.str(8, t.name);
        tw.raw(9, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
      });
    for (const x of inputs) valueInfo(g, 11, x.name, x.shape);
    for (const x of outputs) valueInfo(g, 12, x.name, x.shape);
  });
  w.msg(8, (o) => {
    o.str(1, '');
    o.int(2, 17);
  });
  return w.done();
}

/** Gaussian-ish initializer data (deterministic; values do not matter for timing). */
export function filler(n, seed = 1) {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32 - 0.5) * 0.2;
  }
  return out;
}
