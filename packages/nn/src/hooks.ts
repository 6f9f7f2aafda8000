import { ArgumentError, checkOptions, hookGradients, Tensor } from '@aimodel/tensor';
import type { Module } from './module';

// Forward hooks (PyTorch's register_forward_pre_hook / register_forward_hook). A module with hooks
// gets an own, non-enumerable `forward` that runs them around the class's forward, so the hooks
// fire however the module is called: `module.call(x)` (the library's entry point) and the
// `this.fc.forward(x)` that custom modules write. With its last hook removed the own property goes.

/**
 * A forward pre-hook: called with the module and its inputs before `forward`; return `undefined`
 * to keep the inputs, an array to replace all of them, or any other value to replace a sole input
 * (PyTorch's convention; to replace a sole input that is itself an array, return `[thatArray]`).
 * @example
 * ```ts
 * const double: ForwardPreHook = (_module, [x]) => (x as Tensor).mul(2);
 * const fc = new Linear(2, 2);
 * fc.registerForwardPreHook(double);
 * ```
 */
export type ForwardPreHook<M extends Module = Module> = (module: M, inputs: unknown[]) => unknown;

/**
 * A forward hook: called with the module, its inputs (after the pre-hooks) and its output after
 * `forward`; return `undefined` to keep the output or a value to replace it.
 * @example
 * ```ts
 * const shapes: Shape[] = [];
 * const record: ForwardHook = (_module, _inputs, output) => { shapes.push((output as Tensor).shape); };
 * const fc = new Linear(2, 3);
 * fc.registerForwardHook(record);
 * fc.call(zeros([4, 2]));
 * shapes; // [[4, 3]]
 * ```
 */
export type ForwardHook<M extends Module = Module> = (module: M, inputs: unknown[], output: unknown) => unknown;

/**
 * A full backward hook (PyTorch's register_full_backward_hook): called once per backward with the
 * module, the gradients with respect to its tensor inputs (`gradInput`, in argument order; null for
 * an input that does not require grad) and with respect to its outputs (`gradOutput`). Return
 * `undefined` to keep `gradInput`, or an array of the same length that replaces it.
 * @example
 * ```ts
 * const clip: FullBackwardHook = (_m, gradInput) => gradInput.map((g) => g && g.clamp(-1, 1));
 * const fc = new Linear(2, 2);
 * fc.registerFullBackwardHook(clip);
 * ```
 */
export type FullBackwardHook<M extends Module = Module> = (module: M, gradInput: (Tensor | null)[], gradOutput: (Tensor | null)[]) => GradientsResult;

/** What a backward hook returns: replacement gradients, or nothing. */
// biome-ignore lint/suspicious/noConfusingVoidType: a hook that only observes returns nothing (void)
type GradientsResult = readonly (Tensor | null)[] | undefined | void;

/**
 * A full backward pre-hook (PyTorch's register_full_backward_pre_hook): called once per backward
 * with the module and the gradients with respect to its outputs, before they flow into the module;
 * return `undefined` to keep them or an array of the same length that replaces them.
 * @example
 * ```ts
 * const scale: FullBackwardPreHook = (_m, gradOutput) => gradOutput.map((g) => g && g.mul(0.5));
 * const fc = new Linear(2, 2);
 * fc.registerFullBackwardPreHook(scale);
 * ```
 */
export type FullBackwardPreHook<M extends Module = Module> = (module: M, gradOutput: (Tensor | null)[]) => GradientsResult;

/**
 * Options of {@link Module.registerForwardPreHook}, {@link Module.registerForwardHook} and the
 * full backward hooks.
 * @example
 * ```ts
 * const fc = new Linear(2, 2);
 * fc.registerForwardHook(() => console.log('runs first'), { prepend: true });
 * ```
 */
export interface HookOptions {
  /** Run this hook before the hooks already registered (default false: after them). */
  prepend?: boolean;
}

/**
 * What registering a hook returns: `remove()` unregisters it (calling it again does nothing).
 * @example
 * ```ts
 * const fc = new Linear(2, 2);
 * const handle = fc.registerForwardHook((_m, _inputs, y) => (y as Tensor).relu());
 * handle.remove(); // fc.forward is plain again
 * ```
 */
export interface RemovableHandle {
  /** Unregister the hook. */
  remove(): void;
}

type HookKind = 'pre' | 'post' | 'backwardPre' | 'backward';

interface HookState {
  pre: Map<number, ForwardPreHook<any>>;
  post: Map<number, ForwardHook<any>>;
  backwardPre: Map<number, FullBackwardPreHook<any>>;
  backward: Map<number, FullBackwardHook<any>>;
  /** The module's own `forward` property before the hooks' one (an arrow-function field), if any. */
  ownForward: PropertyDescriptor | undefined;
}

const states = new WeakMap<Module, HookState>();
let nextId = 0;

/** The forward the hooks wrap: an own arrow-function field if the module had one, else its class's. */
function originalForward(m: Module, state: HookState | undefined): (...args: unknown[]) => unknown {
  const own = state?.ownForward?.value;
  if (typeof own === 'function') return own;
  return Object.getPrototypeOf(m).forward;
}

function hookedForward(m: Module): (...inputs: unknown[]) => unknown {
  return (...inputs: unknown[]) => {
    const state = states.get(m);
    let args = inputs;
    if (state) {
      for (const hook of [...state.pre.values()]) {
        const r = hook(m, args);
        if (r !== undefined) args = Array.isArray(r) ? r : [r];
      }
    }
    const backward = state && (state.backward.size > 0 || state.backwardPre.size > 0) ? backwardHooks(m, state, args) : null;
    if (backward) args = backward.inputs;
    let out = originalForward(m, state).apply(m, args);
    if (state) {
      for (const hook of [...state.post.values()]) {
        const r = hook(m, args, out);
        if (r !== undefined) out = r;
      }
    }
    return backward ? backward.outputs(out) : out;
  };
}

/**
 * Full backward hooks around one forward, as PyTorch's BackwardHook: the tensor inputs go through
 * an autograd identity whose gradients (gradInput) reach the backward hooks together, the outputs
 * through one whose gradients (gradOutput) reach the pre-hooks first. Input views that the forward
 * did not return are disposed after it (autograd keeps what it needs).
 */
function backwardHooks(m: Module, state: HookState, args: unknown[]): { inputs: unknown[]; outputs: (out: unknown) => unknown } {
  const name = m.constructor.name;
  const positions = args.flatMap((a, i) => (a instanceof Tensor ? [i] : []));
  const originals = positions.map((i) => args[i] as Tensor);
  let gradOutput: (Tensor | null)[] = [];
  const runBackwardHooks = (gradInput: (Tensor | null)[], replaceable: boolean): (Tensor | null)[] => {
    let grads = gradInput;
    for (const hook of [...state.backward.values()]) {
      const r = hook(m, grads, gradOutput);
      if (r === undefined) continue;
      if (!replaceable && r.some((g) => g !== null && g !== undefined)) {
        throw new ArgumentError(name, 'a full backward hook of a module whose inputs do not require grad must return undefined or nulls (as PyTorch)');
      }
      grads = checkGrads(name, 'full backward hook', r, grads.length);
    }
    return grads;
  };
  const views = hookGradients(originals, (gradInput) => runBackwardHooks(gradInput, true));
  const inputsHooked = views.some((v, k) => v !== originals[k]);
  const inputs = [...args];
  positions.forEach((i, k) => {
    inputs[i] = views[k];
  });
  const outputs = (out: unknown): unknown => {
    const list = out instanceof Tensor ? [out] : Array.isArray(out) && out.every((t) => t instanceof Tensor) ? (out as Tensor[]) : null;
    if (!list) {
      throw new ArgumentError(name, `full backward hooks need forward to return a Tensor or an array of Tensors, got ${describeOutput(out)}`);
    }
    for (const [k, v] of views.entries()) if (v !== originals[k] && !list.includes(v)) v.dispose();
    const hooked = hookGradients(
      list,
      (grads) => {
        gradOutput = grads;
        for (const hook of [...state.backwardPre.values()]) {
          const r = hook(m, gradOutput);
          if (r !== undefined) gradOutput = checkGrads(name, 'full backward pre-hook', r, grads.length);
        }
        // no input requires grad: the backward hooks run now, with null gradInput (as PyTorch)
        if (!inputsHooked)
          runBackwardHooks(
            originals.map(() => null),
            false,
          );
        return gradOutput;
      },
      { inPlace: true },
    );
    return out instanceof Tensor ? hooked[0] : hooked;
  };
  return { inputs, outputs };
}

function checkGrads(name: string, what: string, r: unknown, n: number): (Tensor | null)[] {
  if (!Array.isArray(r) || r.length !== n || r.some((g) => g !== null && g !== undefined && !(g instanceof Tensor))) {
    throw new ArgumentError(name, `a ${what} must return undefined or an array of ${n} gradients (Tensor or null), got ${describeOutput(r)}`);
  }
  return r.map((g) => g ?? null);
}

function describeOutput(v: unknown): string {
  if (v instanceof Tensor) return 'a Tensor';
  if (Array.isArray(v))
    return `an array of ${v.length} (${[...new Set(v.map((x) => (x instanceof Tensor ? 'Tensor' : x === null ? 'null' : typeof x)))].join(', ')})`;
  return v === null ? 'null' : typeof v;
}

/** @internal Register `hook` on `m` (Module.registerForwardPreHook / registerForwardHook). */
export function addForwardHook(op: string, m: Module, kind: HookKind, hook: unknown, opts: HookOptions = {}): RemovableHandle {
  checkOptions(op, opts, ['prepend']);
  if (typeof hook !== 'function') throw new ArgumentError(op, `expected a hook function, got ${hook === null ? 'null' : typeof hook}`);
  let state = states.get(m);
  if (!state) {
    state = { pre: new Map(), post: new Map(), backwardPre: new Map(), backward: new Map(), ownForward: Object.getOwnPropertyDescriptor(m, 'forward') };
    states.set(m, state);
    Object.defineProperty(m, 'forward', { configurable: true, enumerable: false, writable: true, value: hookedForward(m) });
  }
  const id = nextId++;
  const map: Map<number, unknown> = state[kind];
  if (opts.prepend) {
    const rest = [...map];
    map.clear();
    map.set(id, hook);
    for (const [k, v] of rest) map.set(k, v);
  } else {
    map.set(id, hook);
  }
  const owner = state;
  return {
    remove() {
      map.delete(id);
      if (owner.pre.size || owner.post.size || owner.backwardPre.size || owner.backward.size || states.get(m) !== owner) return;
      states.delete(m);
      if (owner.ownForward) Object.defineProperty(m, 'forward', owner.ownForward);
      else delete (m as { forward?: unknown }).forward;
    },
  };
}
