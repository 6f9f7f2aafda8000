import { ArgumentError, checkOptions, ShapeError } from '../errors';
import { fmt, sameShape } from '../shape';
import { Tensor } from '../tensor';
import { checkInputs } from '../ops/define-op';
import { type GradThunk, Node } from './graph';
import { isGradEnabled } from './grad-mode';

/**
 * What {@link hookGradients} calls once per backward: the gradients of its tensors, together (null
 * for a tensor that got none or does not require grad). Return `undefined` to keep them, or an
 * array of the same length whose entries replace them (null: no gradient flows on; each tensor the
 * shape of the one it replaces).
 * @example
 * ```ts
 * const halve: GradientsHook = (grads) => grads.map((g) => g && g.mul(0.5));
 * ```
 */
// biome-ignore lint/suspicious/noConfusingVoidType: a hook that only observes returns nothing (void)
export type GradientsHook = (grads: (Tensor | null)[]) => readonly (Tensor | null)[] | undefined | void;

/**
 * Options of {@link hookGradients}.
 * @example
 * ```ts
 * const y = tensor([1, 2], { requiresGrad: true }).mul(3);
 * hookGradients([y], (grads) => grads, { inPlace: true })[0] === y; // true
 * ```
 */
export interface HookGradientsOptions {
  /**
   * Reroute the gradient of each tensor that came out of an op through the hook in place, returning
   * the same tensor objects (for a module's outputs, whose every use is downstream), instead of
   * returning new views (default false: for a module's inputs, whose other uses must not see the
   * hook). A leaf that requires grad always gets a view.
   */
  inPlace?: boolean;
}

/**
 * Route the gradients of `tensors` through `hook` together, once per backward: the building block
 * of full backward hooks (PyTorch's BackwardHookFunction). Returns, for each tensor that requires
 * grad, a view of it (or, with `inPlace`, the tensor itself) whose gradient reaches the original
 * only through `hook`; other tensors come back unchanged and get null in the hook. With grad mode
 * off or no tensor requiring grad, `tensors` come back unchanged and the hook never runs.
 * @example
 * ```ts
 * const x = tensor([1, 2], { requiresGrad: true });
 * const [xv] = hookGradients([x], ([g]) => [g!.mul(10)]);
 * xv.mul(xv).sum().backward();
 * x.grad!.dataSync(); // Float32Array [20, 40]: 2x, times 10
 * ```
 */
export function hookGradients(tensors: readonly Tensor[], hook: GradientsHook, opts: HookGradientsOptions = {}): Tensor[] {
  const op = 'hookGradients';
  checkOptions(op, opts, ['inPlace']);
  if (typeof hook !== 'function') throw new ArgumentError(op, `expected a hook function, got ${hook === null ? 'null' : typeof hook}`);
  if (!Array.isArray(tensors)) throw new ArgumentError(op, `expected an array of tensors, got ${describe(tensors)}`);
  checkInputs(op, tensors);
  const hooked = tensors.flatMap((t, i) => (t.requiresGrad ? [i] : []));
  if (!isGradEnabled() || hooked.length === 0) return [...tensors];
  const stash: (Tensor | null)[] = tensors.map(() => null);
  const first = tensors[hooked[0]];
  // The join node: its inputs are the hooked tensors, its (empty) output is what every view's node
  // points at, so autograd reaches it after all of them and hands the hook their gradients at once.
  const joinRule = (): GradThunk[] => {
    const grads = stash.slice();
    stash.fill(null);
    const replaced = hook(grads);
    const out = replaced === undefined ? grads : checkReplacements(replaced, tensors);
    return hooked.map((i) => {
      const g = out[i];
      return g ? () => g : null;
    });
  };
  const join = new Node(
    'hookGradients',
    joinRule,
    hooked.map((i) => tensors[i]._alias()),
    hooked.map((i) => tensors[i]._node ?? tensors[i]),
    joinOutput(first),
    undefined,
  );
  const result = [...tensors];
  for (const i of hooked) {
    const t = tensors[i];
    const viewRule = (gy: Tensor, saved: Tensor[]): GradThunk[] => {
      stash[i] = gy;
      return [() => empty(saved[0])]; // what reaches the join: nothing, but a tensor (made in backward's scope)
    };
    const out = opts.inPlace && t._node ? t : Tensor._create(t._storage, t.shape, t.strides, t.offset);
    const node = new Node('hookGradientsView', viewRule, [join.output._alias()], [join], out._alias(), undefined);
    if (out === t) t._node?.release(); // the join node holds the op's node now
    out._attachNode(node);
    result[i] = out;
  }
  return result;
}

/** A 0-element tensor on `t`'s storage (no allocation): the join node's output and its "gradient". */
function empty(t: Tensor): Tensor {
  return Tensor._create(t._storage, [0], [1], 0);
}

/** An uncounted 0-element alias of `t`'s storage: the join node's output. */
function joinOutput(t: Tensor): Tensor {
  const e = empty(t);
  const alias = e._alias();
  e.dispose();
  return alias;
}

function checkReplacements(replaced: unknown, tensors: readonly Tensor[]): (Tensor | null)[] {
  const op = 'hookGradients';
  if (!Array.isArray(replaced) || replaced.length !== tensors.length) {
    throw new ArgumentError(op, `the hook must return undefined or an array of ${tensors.length} gradients (Tensor or null), got ${describe(replaced)}`);
  }
  return replaced.map((g, i) => {
    if (g === null || g === undefined) return null;
    if (!(g instanceof Tensor)) throw new ArgumentError(op, `the hook's gradient ${i} must be a Tensor or null, got ${describe(g)}`);
    if (!sameShape(g.shape, tensors[i].shape))
      throw new ShapeError(op, `the hook's gradient ${i} has shape ${fmt(g.shape)}, expected ${fmt(tensors[i].shape)}`);
    return g;
  });
}

function describe(v: unknown): string {
  return Array.isArray(v) ? `an array of ${v.length}` : v === null ? 'null' : typeof v;
}
