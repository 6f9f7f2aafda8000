import type { Backend, DeviceName, Storage, View } from '../backend/backend';
import { type BackwardRule, type GradThunk, Node } from '../autograd/graph';
import { isGradEnabled } from '../autograd/grad-mode';
import { backendOf } from '../device';
import type { DType } from '../dtype';
import { ArgumentError, DeviceError, DisposedError } from '../errors';
import { allocStorage } from '../memory';
import { contiguousStrides, numel, type Shape } from '../shape';
import { Tensor } from '../tensor';

/** Shape and dtype of an op's output. */
export interface OutputInfo {
  shape: number[];
  dtype: DType;
}

/**
 * What `infer` returns: the main output, plus the shape and dtype of each secondary output the
 * spec declares in `outputs` (none for single-output ops).
 */
export type Inferred<X extends string> = OutputInfo & ([X] extends [never] ? { outputs?: undefined } : { outputs: Record<X, OutputInfo> });

/** Gradient rule of a {@link defineOp} op: the rule of autograd plus the op's secondary outputs. */
export type OpBackward<A, X extends string> = (gy: Tensor, inputs: Tensor[], out: Tensor, attrs: A, outputs: Record<X, Tensor>) => GradThunk[];

/**
 * An op that computes into new memory through backend primitives.
 * `X` names its secondary outputs (none by default): a fused kernel that writes more than its
 * result (the norms' statistics, attention's logsumexp, max-pool's argmax indices) declares them
 * in `outputs` instead of taking buffers in as inputs.
 */
export interface OpSpec<A, X extends string = never> {
  /** Names of the secondary outputs; `infer` gives each one's shape and dtype. */
  outputs?: readonly X[];
  /**
   * The op's checks (dtype, shape, attrs against shapes; throwing typed errors named after the op)
   * and its output shapes. Runs after the engine's disposal and device checks, before allocation.
   */
  infer(inputs: Tensor[], attrs: A): Inferred<X>;
  /** Call the backend; `out` and each of `outputs` are fresh contiguous storages of the inferred shapes. */
  forward(be: Backend, inputs: View[], out: Storage, attrs: A, outShape: Shape, outputs: Record<X, Storage>): void;
  /** Gradient rule (one thunk per input); absent for ops that are not differentiable (comparisons, argmax, …). */
  backward?: OpBackward<A, X>;
}

/** An op whose output is a view of its input's storage (reshape, permute, narrow, …). */
export interface ViewSpec<A> {
  /** Validate and return the view's geometry over the input's storage. */
  view(x: Tensor, attrs: A): { shape: number[]; strides: number[]; offset: number };
  backward: BackwardRule<A>;
}

/** A declared op: tensors in, one tensor out, attributes fixed by the caller. */
export type OpFn<A> = (inputs: Tensor[], attrs: A) => Tensor;

/**
 * A declared op with secondary outputs: tensors in, the main output `out` (which carries the
 * gradient) and the named `outputs` back. The secondary outputs are not differentiable; the
 * caller returns them or disposes them (a `scope` does) as the op decides, and the autograd node
 * keeps its own reference for backward, freed with the graph.
 */
export type MultiOpFn<A, X extends string> = (inputs: Tensor[], attrs: A) => { out: Tensor; outputs: Record<X, Tensor> };

/** How a non-tensor value reads in an error message: `"2"` (a string), `undefined`, `an array`, `a Map`… */
export function describeValue(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 20 ? `${v.slice(0, 20)}…` : v)}`;
  if (typeof v === 'bigint') return `the bigint ${v}n`;
  if (typeof v !== 'object') return `${typeof v} ${String(v)}`;
  if (Array.isArray(v)) return `an array of length ${v.length} (wrap it with tensor())`;
  return `an object (${(v as object).constructor?.name ?? 'no prototype'})`;
}

/** Disposal and device checks the engine runs on every op's tensor inputs (composites' `check`s call it too). */
export function checkInputs(op: string, inputs: readonly Tensor[]): void {
  for (const t of inputs) if (!(t instanceof Tensor)) throw new ArgumentError(op, `expected a Tensor, got ${describeValue(t)}`);
  for (const t of inputs) if (t.isDisposed) throw new DisposedError(op, 'tensor was disposed');
  const device = inputs[0]?.device;
  for (const t of inputs) {
    if (t.device !== device) {
      throw new DeviceError(op, `tensors are on different devices: ${device} and ${t.device} (move one with .to())`);
    }
  }
}

/** Attach an autograd node to `out`; `extra` are secondary outputs the rule reads after the inputs. */
function record<A>(op: string, backward: BackwardRule<A> | undefined, inputs: Tensor[], out: Tensor, attrs: A, extra: Tensor[] = []): Tensor {
  if (!backward || !isGradEnabled() || out.dtype !== 'float32' || !inputs.some((t) => t.requiresGrad)) return out;
  const node = new Node(
    op,
    backward,
    [...inputs, ...extra].map((t) => t._alias()),
    inputs.map((t) => (t.requiresGrad ? (t._node ?? t) : null)),
    out._alias(),
    attrs,
  );
  out._attachNode(node);
  return out;
}

function fresh(device: DeviceName, { shape, dtype }: OutputInfo): Tensor {
  return Tensor._create(allocStorage(device, dtype, numel(shape)), shape, contiguousStrides(shape), 0);
}

/**
 * Declare an op once: checks and shape rule (`infer`), the backend call (`forward`), the
 * gradient (`backward`) and, for fused kernels, the secondary `outputs`. The returned function runs
 * check → infer → allocate → dispatch → record. With `outputs` it returns `{ out, outputs }`.
 */
export function defineOp<A = undefined>(name: string, spec: OpSpec<A>): OpFn<A>;
export function defineOp<A, X extends string>(name: string, spec: OpSpec<A, X> & { outputs: readonly X[] }): MultiOpFn<A, X>;
/* @__NO_SIDE_EFFECTS__ */
export function defineOp<A>(name: string, spec: OpSpec<A> | OpSpec<A, string>): OpFn<A> | MultiOpFn<A, string> {
  type X = string;
  const names: readonly X[] = spec.outputs ?? [];
  const backward: OpBackward<A, X> | undefined = spec.backward;
  const none = {} as Record<X, never>;
  // the node saves [...inputs, ...secondary outputs]; the rule gets them apart
  const rule: BackwardRule<A> | undefined = !backward
    ? undefined
    : names.length === 0
      ? (gy, saved, out, attrs) => backward(gy, saved, out, attrs, none)
      : (gy, saved, out, attrs) => {
          const k = saved.length - names.length;
          return backward(gy, saved.slice(0, k), out, attrs, byName(names, saved.slice(k)));
        };
  const run = (inputs: Tensor[], attrs: A): { out: Tensor; outputs: Record<X, Tensor> } => {
    checkInputs(name, inputs);
    const info = spec.infer(inputs, attrs);
    const device = inputs[0].device;
    const out = fresh(device, info);
    const extra = names.map((n) => fresh(device, (info.outputs as Record<X, OutputInfo>)[n]));
    try {
      const storages = names.length
        ? byName(
            names,
            extra.map((t) => t._storage),
          )
        : none;
      spec.forward(
        backendOf(device),
        inputs.map((t) => t._view()),
        out._storage,
        attrs,
        info.shape,
        storages,
      );
    } catch (e) {
      // a kernel that rejects its data (e.g. an out-of-range index) must not leak the outputs
      out.dispose();
      for (const t of extra) t.dispose();
      throw e;
    }
    return { out: record(name, rule, inputs, out, attrs, extra), outputs: byName(names, extra) };
  };
  return spec.outputs ? run : (inputs, attrs) => run(inputs, attrs).out;
}

function byName<X extends string, T>(names: readonly X[], values: T[]): Record<X, T> {
  const r = {} as Record<X, T>;
  names.forEach((n, i) => {
    r[n] = values[i];
  });
  return r;
}

/** Declare a view op: the output shares the input's storage with new shape/strides/offset. */
/* @__NO_SIDE_EFFECTS__ */
export function defineView<A>(name: string, spec: ViewSpec<A>): (x: Tensor, attrs: A) => Tensor {
  return (x, attrs) => {
    checkInputs(name, [x]);
    const { shape, strides, offset } = spec.view(x, attrs);
    const out = Tensor._create(x._storage, shape, strides, offset);
    return record(name, spec.backward, [x], out, attrs);
  };
}
