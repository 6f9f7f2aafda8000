import { ArgumentError, DeviceError, DisposedError, DTypeError, ShapeError, type Shape, type Tensor } from '@aimodel/tensor';
import { fmtShape, sameShape } from '../checks';

// Boundary checks shared by the losses: each throws a typed error naming the loss, so a mistake
// reads `ShapeError: mseLoss: input [2,3] and target [3,2] differ` rather than naming an inner op.

/** Every tensor alive and on one device. */
export function checkTensors(name: string, tensors: Record<string, Tensor | null | undefined>): void {
  let device: string | undefined;
  let first = '';
  for (const [role, t] of Object.entries(tensors)) {
    if (!t) continue;
    if (t.isDisposed) throw new DisposedError(name, `${role} was disposed`);
    if (device === undefined) [device, first] = [t.device, role];
    else if (t.device !== device) throw new DeviceError(name, `${first} is on ${device} but ${role} is on ${t.device} (move one with .to())`);
  }
}

export function checkFloat(name: string, t: Tensor, role: string): void {
  if (t.dtype !== 'float32') throw new DTypeError(name, `${role} must be float32, got ${t.dtype}`);
}

export function checkSameShape(name: string, a: Tensor, b: Tensor, roles: [string, string] = ['input', 'target']): void {
  if (!sameShape(a.shape, b.shape)) {
    throw new ShapeError(name, `${roles[0]} ${fmtShape(a.shape)} and ${roles[1]} ${fmtShape(b.shape)} differ`);
  }
}

/** `t` broadcasts to `shape` without changing it (for per-element weights). */
export function checkBroadcastsTo(name: string, t: Tensor, shape: Shape, role: string): void {
  const ok = t.ndim <= shape.length && t.shape.every((d, i) => d === 1 || d === shape[shape.length - t.ndim + i]);
  if (!ok) throw new ShapeError(name, `${role} ${fmtShape(t.shape)} does not broadcast to input ${fmtShape(shape)}`);
}

export function checkNumber(name: string, what: string, v: number, ok: (v: number) => boolean, expected: string): void {
  if (typeof v !== 'number' || !ok(v)) throw new ArgumentError(name, `${what} must be ${expected}, got ${v}`);
}
