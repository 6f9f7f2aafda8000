import type { Tensor } from '@aimodel/tensor';

/**
 * @internal The gradient an update step uses, as PyTorch's NAdam/RAdam/Adamax/Adadelta: negated
 * when maximizing, plus the L2 penalty λθ; with `decoupled`, θ itself shrinks by γλ instead
 * (AdamW's decay) and the gradient is left alone.
 */
export function penalizedGradient(p: Tensor, grad: Tensor, o: { lr: number; weightDecay: number; maximize: boolean; decoupledWeightDecay?: boolean }): Tensor {
  const g = o.maximize ? grad.neg() : grad;
  if (o.weightDecay === 0) return g;
  if (!o.decoupledWeightDecay) return g.add(p.mul(o.weightDecay)); // g ← g + λθ
  p.assign(p.mul(1 - o.lr * o.weightDecay)); //                        θ ← θ − γλθ
  return g;
}
