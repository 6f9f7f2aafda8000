import type { Backend, DeviceName, Storage, View } from '../backend/backend';
import { type BackwardRule, Node } from '../autograd/graph';
import { isGradEnabled } from '../autograd/grad-mode';
import { backendOf } from '../device';
import type { DType } from '../dtype';
import { DeviceError, DisposedError } from '../errors';
import { allocStorage } from '../memory';
import { contiguousStrides, numel, type Shape } from '../shape';
import { Tensor } from '../tensor';

/** Shape and dtype of an op's output. */
export interface OutputInfo {
  shape: number[];
  dtype: DType;
}

/** An op that computes into new memory through one backend primitive. */
export interface OpSpec<A> {
  /** Validate the inputs (throwing typed errors) and return the output's shape and dtype. */
  infer(inputs: Tensor[], attrs: A): OutputInfo;
  /** Call the backend; `out` is a contiguous storage of the inferred shape. */
  forward(be: Backend, inputs: View[], out: Storage, attrs: A, outShape: Shape): void;
  /** Gradient rule; absent for ops that are not differentiable (comparisons, argmax, …). */
  backward?: BackwardRule<A>;
}

/** An op whose output is a view of its input's storage (reshape, permute, narrow, …). */
export interface ViewSpec<A> {
  /** Validate and return the view's geometry over the input's storage. */
  view(x: Tensor, attrs: A): { shape: number[]; strides: number[]; offset: number };
  backward: BackwardRule<A>;
}

/** A declared op: tensors in, one tensor out, attributes fixed by the caller. */
export type OpFn<A> = (inputs: Tensor[], attrs: A) => Tensor;

/** Disposal and device checks every op runs on its tensor inputs. */
export function checkInputs(op: string, inputs: readonly Tensor[]): void {
  for (const t of inputs) if (t.isDisposed) throw new DisposedError(op, 'tensor was disposed');
  const device = inputs[0]?.device;
  for (const t of inputs) {
    if (t.device !== device) {
      throw new DeviceError(op, `tensors are on different devices: ${device} and ${t.device} (move one with .to())`);
    }
  }
}

function record<A>(op: string, backward: BackwardRule<A> | undefined, inputs: Tensor[], out: Tensor, attrs: A): Tensor {
  if (!backward || !isGradEnabled() || out.dtype !== 'float32' || !inputs.some((t) => t.requiresGrad)) return out;
  const node = new Node(
    op,
    backward,
    inputs.map((t) => t._alias()),
    inputs.map((t) => (t.requiresGrad ? (t._node ?? t) : null)),
    out._alias(),
    attrs,
  );
  out._attachNode(node);
  return out;
}

/**
 * Declare an op once: checks and shape rule (`infer`), the backend call (`forward`) and the
 * gradient (`backward`). The returned function runs validate → allocate → dispatch → record.
 */
export function defineOp<A = undefined>(name: string, spec: OpSpec<A>): OpFn<A> {
  return (inputs, attrs) => {
    checkInputs(name, inputs);
    const { shape, dtype } = spec.infer(inputs, attrs);
    const device = inputs[0].device;
    const storage = allocStorage(device, dtype, numel(shape));
    const out = Tensor._create(storage, shape, contiguousStrides(shape), 0);
    try {
      spec.forward(backendOf(device), inputs.map((t) => t._view()), storage, attrs, shape);
    } catch (e) {
      out.dispose(); // a kernel that rejects its data (e.g. an out-of-range index) must not leak the output
      throw e;
    }
    return record(name, spec.backward, inputs, out, attrs);
  };
}

/**
 * A fresh contiguous float32 tensor for a primitive to fill: an op's extra output (attention's
 * logsumexp, the norms' statistics) passed in as an input, so that the node saves it for backward
 * and it lives exactly as long as the graph.
 */
export function extraOutput(device: DeviceName, shape: number[]): Tensor {
  return Tensor._create(allocStorage(device, 'float32', numel(shape)), shape, contiguousStrides(shape), 0);
}

/** Declare a view op: the output shares the input's storage with new shape/strides/offset. */
export function defineView<A>(name: string, spec: ViewSpec<A>): (x: Tensor, attrs: A) => Tensor {
  return (x, attrs) => {
    checkInputs(name, [x]);
    const { shape, strides, offset } = spec.view(x, attrs);
    const out = Tensor._create(x._storage, shape, strides, offset);
    return record(name, spec.backward, [x], out, attrs);
  };
}
