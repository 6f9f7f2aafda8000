import { noGrad, scope, type Tensor } from '../src/index';

/** Plain SGD with the structural interface fit expects (the real ones live in @aimodel/optim). */
export class TinySGD {
  constructor(
    private readonly params: Tensor[],
    public lr: number,
  ) {}
  zeroGrad() {
    for (const p of this.params) {
      p.grad?.dispose();
      p.grad = null;
    }
  }
  step() {
    noGrad(() =>
      scope(() => {
        for (const p of this.params) if (p.grad) p.assign(p.sub(p.grad.mul(this.lr)));
      }),
    );
  }
}
