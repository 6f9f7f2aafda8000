import { ArgumentError, DisposedError, ShapeError } from '../errors';
import { keep, scope } from '../memory';
import { fmt, sameShape, type Shape } from '../shape';
import type { Tensor } from '../tensor';
import { noGrad } from './grad-mode';

/** One gradient per input, computed only when that input needs it. */
export type GradThunk = (() => Tensor) | null;

/** The backward rule of an op: ∂L/∂inputs from ∂L/∂output. */
export type BackwardRule<A> = (gy: Tensor, inputs: Tensor[], out: Tensor, attrs: A) => GradThunk[];

/**
 * A recorded op application. `saved` and `output` are internal aliases that keep the storages
 * the backward rule reads alive after the user disposes their tensors. Nodes are reference
 * counted by the tensors and child nodes that point at them; at zero the saved storages go.
 */
export class Node {
  refs = 0;
  /** Saved tensors were released (after backward without retainGraph, or at refs 0). */
  freed = false;
  retain: WeakRef<Tensor> | null = null;
  constructor(
    readonly op: string,
    readonly backward: BackwardRule<any>,
    readonly saved: Tensor[],
    /** Where each input's gradient goes: its node, the leaf tensor itself, or nowhere. */
    readonly targets: (Node | Tensor | null)[],
    readonly output: Tensor,
    readonly attrs: unknown,
  ) {
    for (const t of targets) if (t instanceof Node) t.refs++;
  }

  freeSaved(): void {
    if (this.freed) return;
    this.freed = true;
    for (const t of this.saved) t.dispose();
    this.output.dispose();
  }

  release(): void {
    if (--this.refs > 0) return;
    this.freeSaved();
    for (const t of this.targets) if (t instanceof Node) t.release();
  }
}

/** Sum `g` over the dims that broadcasting added or expanded, so it has `shape`. */
export function sumToShape(g: Tensor, shape: Shape): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.ndim - shape.length;
  const dims: number[] = [];
  for (let i = 0; i < g.ndim; i++) if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) dims.push(i);
  const summed = dims.length ? g.sum(dims, { keepdim: true }) : g;
  return summed.reshape(shape);
}

function topoOrder(root: Node): Node[] {
  const order: Node[] = [];
  const seen = new Set<Node>();
  const stack: [Node, number][] = [[root, 0]];
  seen.add(root);
  while (stack.length) {
    const top = stack[stack.length - 1];
    const [node, i] = top;
    if (i < node.targets.length) {
      top[1]++;
      const t = node.targets[i];
      if (t instanceof Node && !seen.has(t)) {
        seen.add(t);
        stack.push([t, 0]);
      }
    } else {
      stack.pop();
      order.push(node);
    }
  }
  return order.reverse(); // root first
}

function accumulateLeaf(leaf: Tensor, g: Tensor): void {
  if (leaf.isDisposed) throw new DisposedError('backward', 'a leaf tensor that requires grad was disposed before backward');
  const prev = leaf.grad;
  leaf.grad = keep(prev ? prev.add(g) : g.clone()); // clone: g may be the caller's tensor
  prev?.dispose();
}

/** Reverse-mode sweep from `root` (see Tensor.backward). */
export function runBackward(root: Tensor, gradient: Tensor | undefined, retainGraph: boolean): void {
  if (!root.requiresGrad) {
    throw new ArgumentError('backward', 'tensor does not require grad (create inputs with { requiresGrad: true })');
  }
  if (!gradient && root.numel() !== 1) {
    throw new ShapeError('backward', `gradient can be implicitly created only for one-element outputs, got shape ${fmt(root.shape)}; pass a gradient`);
  }
  if (gradient && !sameShape(gradient.shape, root.shape)) {
    throw new ShapeError('backward', `gradient shape ${fmt(gradient.shape)} does not match output shape ${fmt(root.shape)}`);
  }
  noGrad(() =>
    scope(() => {
      const seed = gradient ?? root.onesLike();
      const node = root._node;
      if (!node) {
        accumulateLeaf(root, seed);
        return;
      }
      const grads = new Map<Node, Tensor>([[node, seed]]);
      const order = topoOrder(node);
      for (const n of order) {
        if (n.freed) {
          throw new DisposedError(
            'backward',
            `the graph through '${n.op}' was already freed by an earlier backward; pass { retainGraph: true } to the first call`,
          );
        }
        const gy = grads.get(n);
        grads.delete(n);
        if (!gy) continue;
        const retained = n.retain?.deref();
        if (retained && !retained.isDisposed) {
          const old = retained.grad;
          retained.grad = keep(old ? old.add(gy) : gy.clone());
          old?.dispose();
        }
        const thunks = n.backward(gy, n.saved, n.output, n.attrs);
        n.targets.forEach((target, i) => {
          const thunk = thunks[i];
          if (!target || !thunk) return;
          const g = sumToShape(thunk(), n.saved[i].shape);
          if (target instanceof Node) {
            const prev = grads.get(target);
            grads.set(target, prev ? prev.add(g) : g);
          } else {
            accumulateLeaf(target, g);
          }
        });
        if (!retainGraph) n.freeSaved();
      }
    }),
  );
}
