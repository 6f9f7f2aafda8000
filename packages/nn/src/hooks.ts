import { ArgumentError, checkOptions } from '@aimodel/tensor';
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
 * Options of {@link Module.registerForwardPreHook} and {@link Module.registerForwardHook}.
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

interface HookState {
  pre: Map<number, ForwardPreHook<any>>;
  post: Map<number, ForwardHook<any>>;
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
    let out = originalForward(m, state).apply(m, args);
    if (state) {
      for (const hook of [...state.post.values()]) {
        const r = hook(m, args, out);
        if (r !== undefined) out = r;
      }
    }
    return out;
  };
}

/** @internal Register `hook` on `m` (Module.registerForwardPreHook / registerForwardHook). */
export function addForwardHook(op: string, m: Module, kind: 'pre' | 'post', hook: unknown, opts: HookOptions = {}): RemovableHandle {
  checkOptions(op, opts, ['prepend']);
  if (typeof hook !== 'function') throw new ArgumentError(op, `expected a hook function, got ${hook === null ? 'null' : typeof hook}`);
  let state = states.get(m);
  if (!state) {
    state = { pre: new Map(), post: new Map(), ownForward: Object.getOwnPropertyDescriptor(m, 'forward') };
    states.set(m, state);
    Object.defineProperty(m, 'forward', { configurable: true, enumerable: false, writable: true, value: hookedForward(m) });
  }
  const id = nextId++;
  const map: Map<number, unknown> = kind === 'pre' ? state.pre : state.post;
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
      if (owner.pre.size || owner.post.size || states.get(m) !== owner) return;
      states.delete(m);
      if (owner.ownForward) Object.defineProperty(m, 'forward', owner.ownForward);
      else delete (m as { forward?: unknown }).forward;
    },
  };
}
