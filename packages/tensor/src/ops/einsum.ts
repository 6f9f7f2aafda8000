import { ArgumentError, ShapeError } from '../errors';
import { scope } from '../memory';
import { fmt } from '../shape';
import type { Tensor } from '../tensor';
import { checkInputs } from './define-op';
import { diagonal } from './triangular';

/**
 * `einsum` lowered to the ops it needs: a repeated subscript in one operand takes its diagonal,
 * subscripts found in one operand only (and not in the output) are summed first, then operands
 * are contracted left to right, each pair as one batched matmul ([batch, left, k] @ [batch, k,
 * right]) after a permute and reshape; the result is permuted to the output's order.
 */

/** An operand: its subscripts (one letter per dim) and the tensor with exactly those dims. */
interface Term {
  subs: string[];
  t: Tensor;
}

function parse(equation: string, operands: readonly Tensor[]): { inputs: string[][]; output: string[] } {
  const eq = equation.replace(/\s+/g, '');
  const [lhs, rhs] = eq.split('->');
  if (eq.split('->').length > 2) throw new ArgumentError('einsum', `more than one '->' in '${equation}'`);
  const parts = lhs.split(',');
  if (parts.length !== operands.length) throw new ArgumentError('einsum', `'${equation}' names ${parts.length} operands, got ${operands.length} tensors`);
  // letters used explicitly, so '...' can take fresh ones
  const used = new Set(eq.replace(/[^a-zA-Z]/g, ''));
  const fresh = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'].filter((c) => !used.has(c));
  let ellipsisRank = 0;
  for (const [i, p] of parts.entries()) {
    if (!/^[a-zA-Z]*(\.\.\.)?[a-zA-Z]*$/.test(p)) throw new ArgumentError('einsum', `operand ${i}'s subscripts '${p}' must be letters with at most one '...'`);
    const letters = p.replace('...', '').length;
    if (p.includes('...')) ellipsisRank = Math.max(ellipsisRank, operands[i].ndim - letters);
    else if (letters !== operands[i].ndim) throw new ShapeError('einsum', `operand ${i} has ${operands[i].ndim} dims but subscripts '${p}'`);
  }
  const ell = fresh.slice(0, ellipsisRank);
  const expand = (p: string, rank: number): string[] => {
    if (!p.includes('...')) return [...p];
    const [a, b] = p.split('...');
    const k = rank - a.length - b.length;
    if (k < 0) throw new ShapeError('einsum', `subscripts '${p}' have more letters than the operand's ${rank} dims`);
    return [...a, ...ell.slice(ellipsisRank - k), ...b];
  };
  const inputs = parts.map((p, i) => expand(p, operands[i].ndim));
  let output: string[];
  if (rhs === undefined) {
    // implicit output: the ellipsis dims, then letters appearing exactly once, alphabetically
    const count = new Map<string, number>();
    for (const s of inputs.flat()) count.set(s, (count.get(s) ?? 0) + 1);
    output = [...ell, ...[...count.keys()].filter((c) => !ell.includes(c) && count.get(c) === 1).sort()];
  } else {
    if (!/^[a-zA-Z]*(\.\.\.)?[a-zA-Z]*$/.test(rhs)) throw new ArgumentError('einsum', `output subscripts '${rhs}' must be letters with at most one '...'`);
    output = rhs.includes('...') ? expand(rhs, rhs.length - 3 + ellipsisRank) : [...rhs];
    const all = new Set(inputs.flat());
    for (const c of output) if (!all.has(c)) throw new ArgumentError('einsum', `output subscript '${c}' appears in no operand`);
    if (new Set(output).size !== output.length) throw new ArgumentError('einsum', `output subscripts '${rhs}' repeat a letter`);
  }
  return { inputs, output };
}

/** Take diagonals for letters repeated within one operand. */
function dedupe(term: Term): Term {
  let { subs, t } = term;
  for (;;) {
    const i = subs.findIndex((c, k) => subs.indexOf(c) !== k);
    if (i < 0) return { subs, t };
    const j = subs.indexOf(subs[i]);
    if (t.shape[i] !== t.shape[j]) throw new ShapeError('einsum', `subscript '${subs[i]}' labels dims of sizes ${t.shape[j]} and ${t.shape[i]}`);
    t = diagonal(t, 0, j, i); // dims j, i removed, the diagonal appended
    subs = [...subs.filter((_, k) => k !== i && k !== j), subs[i]];
  }
}

/** Sum out the letters of `term` that no other term and not the output need. */
function sumPrivate(term: Term, keep: Set<string>): Term {
  const drop = term.subs.map((c, i) => (keep.has(c) ? -1 : i)).filter((i) => i >= 0);
  if (!drop.length) return term;
  return { subs: term.subs.filter((c) => keep.has(c)), t: term.t.sum(drop) };
}

/** Permute `term` to `order` (a permutation of its subscripts). */
function arrange(term: Term, order: string[]): Tensor {
  const perm = order.map((c) => term.subs.indexOf(c));
  return perm.every((p, i) => p === i) ? term.t : term.t.permute(perm);
}

/** Contract two terms into one, keeping the letters in `keep` (the output's and later operands'). */
function contract(a: Term, b: Term, keep: Set<string>): Term {
  const size = new Map<string, number>();
  for (const term of [a, b])
    term.subs.forEach((c, i) => {
      const d = term.t.shape[i];
      const prev = size.get(c);
      if (prev !== undefined && prev !== d && prev !== 1 && d !== 1) throw new ShapeError('einsum', `subscript '${c}' labels dims of sizes ${prev} and ${d}`);
      size.set(c, Math.max(prev ?? d, d));
    });
  const inB = new Set(b.subs);
  const inA = new Set(a.subs);
  const batch = a.subs.filter((c) => inB.has(c) && keep.has(c));
  const summed = a.subs.filter((c) => inB.has(c) && !keep.has(c));
  const left = a.subs.filter((c) => !inB.has(c));
  const right = b.subs.filter((c) => !inA.has(c));
  const prod = (cs: string[]) => cs.reduce((p, c) => p * size.get(c)!, 1);
  // broadcast size-1 shared dims by expanding to the common size first
  const full = (term: Term) => term.t.expand(term.subs.map((c) => size.get(c)!));
  const ta = arrange({ subs: a.subs, t: full(a) }, [...batch, ...left, ...summed]).reshape([prod(batch), prod(left), prod(summed)]);
  const tb = arrange({ subs: b.subs, t: full(b) }, [...batch, ...summed, ...right]).reshape([prod(batch), prod(summed), prod(right)]);
  const y = ta.matmul(tb).reshape([...batch, ...left, ...right].map((c) => size.get(c)!));
  return { subs: [...batch, ...left, ...right], t: y };
}

/**
 * Einstein summation (`torch.einsum`): `'ij,jk->ik'` is a matmul, `'bij,bjk->bik'` a batched one,
 * `'ii->i'` a diagonal, `'ij->'` a sum, `'...ij->...ji'` a transpose over any leading dims;
 * without `->` the output is the letters that appear once, in alphabetical order. Contractions run
 * as batched matmuls, so it is differentiable and runs on every backend.
 * @example
 * ```ts
 * einsum('ij,jk->ik', ones([2, 3]), ones([3, 4])).shape; // [2, 4]
 * einsum('i,i->', tensor([1, 2, 3]), tensor([4, 5, 6])); // 32
 * einsum('ii->i', tensor([[1, 2], [3, 4]]));             // [1, 4]
 * ```
 */
export function einsum(equation: string, ...operands: Tensor[]): Tensor {
  if (typeof equation !== 'string') throw new ArgumentError('einsum', `the equation must be a string, got ${typeof equation}`);
  if (operands.length === 0) throw new ArgumentError('einsum', 'expected at least one operand');
  checkInputs('einsum', operands);
  const { inputs, output } = parse(equation, operands);
  return scope(() => {
    let terms: Term[] = inputs.map((subs, i) => dedupe({ subs, t: operands[i] }));
    const needed = (from: number) => new Set([...output, ...terms.slice(from).flatMap((t) => t.subs)]);
    terms = terms.map((term, i) => sumPrivate(term, new Set([...output, ...terms.filter((_, k) => k !== i).flatMap((t) => t.subs)])));
    let acc = terms[0];
    for (let i = 1; i < terms.length; i++) acc = contract(acc, terms[i], needed(i + 1));
    acc = sumPrivate(acc, new Set(output));
    for (const c of output)
      if (!acc.subs.includes(c)) throw new ShapeError('einsum', `output subscript '${c}' was summed away (internal error in ${fmt(acc.t.shape)})`);
    const y = arrange(acc, output);
    return y === operands[0] ? y.clone() : y.contiguous();
  });
}
