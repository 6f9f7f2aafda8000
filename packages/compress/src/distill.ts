// Knowledge distillation (Hinton, Vinyals & Dean, 2015) with optional hint (feature) distillation
// (Romero et al., 2015, FitNets): the loss, and a Module whose trainStep trains a student from a
// frozen teacher inside `fit`.
import {
  ArgumentError,
  batchAccuracy,
  type CompileConfig,
  checkOptions,
  crossEntropy,
  klDiv,
  Linear,
  logSoftmax,
  Module,
  mseLoss,
  noGrad,
  type OptimizerLike,
  ShapeError,
  type StepLogs,
  scope,
  Tensor,
} from '@aimodel/nn';

/**
 * Options of {@link distillationLoss}.
 * @example
 * ```ts
 * const opts: DistillationLossOptions = { temperature: 4, alpha: 0.9 };
 * ```
 */
export interface DistillationLossOptions {
  /** Softmax temperature T > 0 applied to both logits in the soft term (default 2). */
  temperature?: number;
  /** Weight α ∈ [0, 1] of the soft (teacher) term; the hard term gets 1 − α (default 0.5). */
  alpha?: number;
}

const LOSS_KEYS = ['temperature', 'alpha'];

function lossOptions(op: string, opts: DistillationLossOptions | undefined): { temperature: number; alpha: number } {
  checkOptions(op, opts, LOSS_KEYS);
  const { temperature = 2, alpha = 0.5 } = opts ?? {};
  if (!(typeof temperature === 'number' && temperature > 0 && Number.isFinite(temperature))) {
    throw new ArgumentError(op, `invalid temperature ${String(temperature)} (expected a finite number > 0)`);
  }
  if (!(typeof alpha === 'number' && alpha >= 0 && alpha <= 1)) throw new ArgumentError(op, `invalid alpha ${String(alpha)} (expected [0, 1])`);
  return { temperature, alpha };
}

/** The two terms of the loss, before weighting: soft = T²·KL(p_T ‖ q_T) (batchmean), hard = CE(s, y). */
function distillationTerms(op: string, student: Tensor, teacher: Tensor, target: Tensor | null, temperature: number, alpha: number) {
  if (!(student instanceof Tensor) || !(teacher instanceof Tensor)) throw new ArgumentError(op, 'expected student and teacher logits as tensors');
  if (student.ndim !== 2 || teacher.ndim !== 2 || student.shape[0] !== teacher.shape[0] || student.shape[1] !== teacher.shape[1]) {
    throw new ShapeError(op, `expected student and teacher logits of the same shape [N, C], got [${student.shape}] and [${teacher.shape}]`);
  }
  if (target === null && alpha !== 1) throw new ArgumentError(op, `a target is required unless alpha is 1 (got alpha ${alpha})`);
  const t = teacher.detach(); // the teacher never receives gradients
  const logQ = logSoftmax(student.div(temperature), 1);
  const logP = logSoftmax(t.div(temperature), 1);
  const soft = klDiv(logQ, logP, { reduction: 'batchmean', logTarget: true }).mul(temperature * temperature);
  const hard = target === null ? null : crossEntropy(student, target);
  return { soft, hard };
}

/**
 * The knowledge-distillation loss of Hinton et al. (2015):
 * ```
 * L = α·T²·KL(softmax(t/T) ‖ softmax(s/T)) + (1 − α)·CE(s, y)
 * ```
 * with s the student's logits [N, C], t the teacher's (detached: no gradient reaches the teacher),
 * y class indices [N], KL summed over classes and averaged over the batch (`batchmean`) and CE
 * averaged over the batch. The T² factor keeps the soft term's gradients, which scale as 1/T²,
 * comparable across temperatures. ∂L/∂s = α·T·(softmax(s/T) − softmax(t/T))/N + (1 − α)·(softmax(s) − onehot(y))/N.
 *
 * **Convention:** α weights the soft (teacher) term, as in Hinton et al. and DistilBERT. torchdistill's
 * `KDLoss` and the Keras distillation example weight the *student* (hard) term with α instead: their
 * α is our 1 − α. With `alpha: 1` the target may be null (pure soft-target training).
 * @example
 * ```ts
 * const student = tensor([[1, 2, 0.5], [0, -1, 3]], { requiresGrad: true });
 * const teacher = tensor([[2, 1, 0], [0.5, 0.5, 2]]);
 * const target = tensor([1, 2], { dtype: 'int32' });
 * // 0.7·4·KL (KL = 0.11583) + 0.3·CE (CE = 0.26513)
 * const loss = distillationLoss(student, teacher, target, { temperature: 2, alpha: 0.7 }); // ≈ 0.4038
 * loss.backward(); // student.grad is set; the teacher gets none
 * ```
 */
export function distillationLoss(studentLogits: Tensor, teacherLogits: Tensor, target: Tensor | null, opts?: DistillationLossOptions): Tensor {
  const op = 'distillationLoss';
  const { temperature, alpha } = lossOptions(op, opts);
  return scope(() => {
    const { soft, hard } = distillationTerms(op, studentLogits, teacherLogits, target, temperature, alpha);
    return hard === null ? soft.mul(alpha) : soft.mul(alpha).add(hard.mul(1 - alpha));
  });
}

/**
 * Feature (hint) distillation for {@link Distiller}, as FitNets: the output of a student layer,
 * passed through a learned projection, is pulled towards the output of a teacher layer by a mean
 * squared error, weighted by `weight` and added to the loss.
 * @example
 * ```ts
 * const student = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 3));
 * const teacher = new Sequential(new Linear(4, 32), new ReLU(), new Linear(32, 3));
 * const hint: HintOptions = { student: student.at(1), teacher: teacher.at(1), studentFeatures: 8, teacherFeatures: 32, weight: 0.5 };
 * ```
 */
export interface HintOptions {
  /** The student's module whose output is the hint (a descendant of the student). */
  student: Module;
  /** The teacher's module whose output the hint should match (a descendant of the teacher). */
  teacher: Module;
  /** Weight β of the hint loss (default 1). */
  weight?: number;
  /** Features of the student layer's output (its last dimension), for the default projection. */
  studentFeatures?: number;
  /** Features of the teacher layer's output, for the default projection. */
  teacherFeatures?: number;
  /**
   * The learned projection from student to teacher features; default `new Linear(studentFeatures,
   * teacherFeatures)` on the last dimension (pass e.g. a 1×1 `Conv2d` for feature maps).
   */
  projection?: Module;
}

/**
 * Options of {@link Distiller}: the loss's `temperature` and `alpha`, and an optional `hint`.
 * @example
 * ```ts
 * const opts: DistillerOptions = { temperature: 4, alpha: 0.9 };
 * ```
 */
export interface DistillerOptions extends DistillationLossOptions {
  /** Feature distillation from an intermediate layer (default none). */
  hint?: HintOptions;
}

const HINT_KEYS = ['student', 'teacher', 'weight', 'studentFeatures', 'teacherFeatures', 'projection'];

/** Run `fn` with a forward hook on `layer` that records its output; returns [result, output or undefined]. */
function capturing<T>(layer: Module | undefined, fn: () => T): [T, Tensor | undefined] {
  if (!layer) return [fn(), undefined];
  let seen: Tensor | undefined;
  const handle = layer.registerForwardHook((_m, _inputs, output) => {
    seen = output as Tensor;
  });
  try {
    return [fn(), seen];
  } finally {
    handle.remove();
  }
}

/**
 * Train a student from a frozen teacher with `fit` (the Keras `Distiller` idea). The Distiller is
 * a Module whose `forward` is the student's and whose `trainStep` runs the teacher in eval mode
 * under `noGrad`, computes {@link distillationLoss} (plus the hint loss), and steps the optimizer
 * given to `compile`. The teacher is held privately: it is not among `parameters()`,
 * `stateDict()`, `train()`/`eval()` or `to()` of the Distiller, and never changes; put it on the
 * student's device yourself. The student and the hint projection are submodules.
 *
 * Compile with an optimizer object over `distiller.parameters()` (the student's and the
 * projection's; optimizer names are refused), and with `loss: crossEntropy` and metrics for
 * `evaluate`/validation, which judge the student alone. Each training step logs `loss` (the total),
 * `distillationLoss` (α·T²·KL), `studentLoss` ((1 − α)·CE), `hintLoss` (β·MSE, with a hint) and
 * `accuracy` of the student on the batch.
 * @example
 * ```ts
 * const x = randn([64, 4]);
 * const y = randint(0, 3, [64]);
 * const teacher = new Sequential(new Linear(4, 32), new ReLU(), new Linear(32, 3));
 * const student = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 3));
 * const distiller = new Distiller(student, teacher, { temperature: 4, alpha: 0.9 });
 * distiller.compile({ optimizer: new Adam(distiller.parameters(), { lr: 1e-2 }), loss: crossEntropy, metrics: ['accuracy'] });
 * const history = await distiller.fit(x, y, { epochs: 2, batchSize: 16, verbose: 0 });
 * history.history.distillationLoss; // one value per epoch
 * ```
 */
export class Distiller extends Module {
  /** The model being trained. @example `new Distiller(new Linear(4, 3), new Linear(4, 3)).student instanceof Linear // true` */
  readonly student: Module;
  /** The learned hint projection (null without a hint). @example `new Distiller(new Linear(4, 3), new Linear(4, 3)).projection // null` */
  readonly projection: Module | null;
  /** Softmax temperature T. @example `new Distiller(new Linear(4, 3), new Linear(4, 3)).temperature // 2` */
  readonly temperature: number;
  /** Weight α of the soft term. @example `new Distiller(new Linear(4, 3), new Linear(4, 3), { alpha: 0.9 }).alpha // 0.9` */
  readonly alpha: number;
  /** Weight β of the hint loss (0 without a hint). @example `new Distiller(new Linear(4, 3), new Linear(4, 3)).hintWeight // 0` */
  readonly hintWeight: number;
  #teacher: Module;
  #hintStudent: Module | undefined;
  #hintTeacher: Module | undefined;
  #optimizer: OptimizerLike | null = null;

  /**
   * @param student the model to train
   * @param teacher the trained model to learn from (left unchanged; set to eval mode)
   * @param options `temperature` (default 2), `alpha` (default 0.5), `hint`
   * @example
   * ```ts
   * const student = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 3));
   * const teacher = new Sequential(new Linear(4, 32), new ReLU(), new Linear(32, 3));
   * const withHint = new Distiller(student, teacher, {
   *   temperature: 4,
   *   alpha: 0.9,
   *   hint: { student: student.at(1), teacher: teacher.at(1), studentFeatures: 8, teacherFeatures: 32, weight: 0.1 },
   * });
   * ```
   */
  constructor(student: Module, teacher: Module, options: DistillerOptions = {}) {
    super();
    const op = 'Distiller';
    if (!(student instanceof Module) || !(teacher instanceof Module)) throw new ArgumentError(op, 'expected the student and the teacher as Modules');
    if (student === teacher) throw new ArgumentError(op, 'the student and the teacher must be different modules');
    checkOptions(op, options, [...LOSS_KEYS, 'hint']);
    const { temperature, alpha } = lossOptions(op, { temperature: options?.temperature, alpha: options?.alpha });
    this.student = student;
    this.temperature = temperature;
    this.alpha = alpha;
    this.#teacher = teacher;
    teacher.eval();
    const hint = options?.hint;
    if (hint === undefined) {
      this.projection = null;
      this.hintWeight = 0;
      return;
    }
    checkOptions(`${op} hint`, hint, HINT_KEYS);
    const { weight = 1 } = hint;
    if (!(typeof weight === 'number' && weight >= 0 && Number.isFinite(weight)))
      throw new ArgumentError(op, `invalid hint weight ${String(weight)} (expected a finite number >= 0)`);
    if (!student.namedModules().some(([, m]) => m === hint.student)) throw new ArgumentError(op, 'hint.student must be a module of the student');
    if (!teacher.namedModules().some(([, m]) => m === hint.teacher)) throw new ArgumentError(op, 'hint.teacher must be a module of the teacher');
    if (hint.projection !== undefined) {
      if (!(hint.projection instanceof Module)) throw new ArgumentError(op, 'hint.projection must be a Module');
      this.projection = hint.projection;
    } else {
      const { studentFeatures: a, teacherFeatures: b } = hint;
      if (!(Number.isInteger(a) && (a as number) > 0 && Number.isInteger(b) && (b as number) > 0)) {
        throw new ArgumentError(
          op,
          `give hint.studentFeatures and hint.teacherFeatures (positive integers) for the default Linear projection, or a projection module; got ${a} and ${b}`,
        );
      }
      this.projection = new Linear(a as number, b as number);
    }
    this.hintWeight = weight;
    this.#hintStudent = hint.student;
    this.#hintTeacher = hint.teacher;
  }

  /**
   * The frozen teacher (not a submodule of the Distiller).
   * @example
   * ```ts
   * const teacher = new Linear(4, 3);
   * new Distiller(new Linear(4, 3), teacher).teacher === teacher; // true
   * ```
   */
  get teacher(): Module {
    return this.#teacher;
  }

  /**
   * The student's output: a Distiller predicts and evaluates as its student.
   * @example
   * ```ts
   * const distiller = new Distiller(new Linear(4, 3), new Linear(4, 3));
   * distiller.forward(randn([2, 4])).shape; // [2, 3]
   * ```
   */
  forward(x: Tensor): Tensor {
    return this.student.call(x) as Tensor;
  }

  /**
   * Module's `compile`, keeping the optimizer object for {@link Distiller.trainStep}.
   * @example
   * ```ts
   * const distiller = new Distiller(new Linear(4, 3), new Linear(4, 3));
   * distiller.compile({ optimizer: new SGD(distiller.parameters(), { lr: 0.1 }), loss: crossEntropy });
   * ```
   */
  override compile(config: CompileConfig = {}): this {
    const opt = config?.optimizer;
    if (typeof opt === 'string') {
      throw new ArgumentError(
        'Distiller.compile',
        `pass an optimizer object over distiller.parameters() (e.g. new Adam(distiller.parameters())), not the name '${opt}'`,
      );
    }
    super.compile(config);
    this.#optimizer = opt ?? null;
    return this;
  }

  /**
   * One distillation step on `[x, y]`: teacher logits (and hint features) under `noGrad` in eval
   * mode, the student's forward, the loss, backward and the optimizer step.
   * @example
   * ```ts
   * const distiller = new Distiller(new Linear(4, 3), new Linear(4, 3), { alpha: 0.8 });
   * distiller.compile({ optimizer: new SGD(distiller.parameters(), { lr: 0.1 }) });
   * const logs = distiller.trainStep([randn([8, 4]), randint(0, 3, [8])]); // { loss, distillationLoss, studentLoss, accuracy }
   * ```
   */
  override trainStep(batch: Tensor[]): StepLogs {
    const op = 'Distiller.trainStep';
    if (!this.#optimizer) throw new ArgumentError(op, 'call distiller.compile({ optimizer }) with an optimizer object first');
    if (!Array.isArray(batch) || batch.length < 2)
      throw new ArgumentError(op, `expected a batch [x, y], got ${Array.isArray(batch) ? batch.length : typeof batch} tensors`);
    const [x, y] = batch;
    const teacher = this.#teacher;
    teacher.eval();
    const [teacherLogits, teacherFeatures] = noGrad(() => capturing(this.#hintTeacher, () => teacher.call(x) as Tensor));
    const [studentLogits, studentFeatures] = capturing(this.#hintStudent, () => this.student.call(x) as Tensor);
    const { soft, hard } = distillationTerms(op, studentLogits, teacherLogits, y, this.temperature, this.alpha);
    const distill = soft.mul(this.alpha);
    const student = (hard as Tensor).mul(1 - this.alpha);
    let loss = distill.add(student);
    const logs: StepLogs = {};
    if (this.projection) {
      if (!studentFeatures || !teacherFeatures)
        throw new ArgumentError(op, `the hint's ${studentFeatures ? 'teacher' : 'student'} module did not run during the forward pass`);
      const hintLoss = mseLoss(this.projection.call(studentFeatures) as Tensor, teacherFeatures).mul(this.hintWeight);
      loss = loss.add(hintLoss);
      logs.hintLoss = hintLoss.detach();
    }
    this.#optimizer.zeroGrad();
    loss.backward();
    this.#optimizer.step();
    return {
      loss: loss.detach(),
      distillationLoss: distill.detach(),
      studentLoss: student.detach(),
      ...logs,
      accuracy: batchAccuracy(studentLogits.detach(), y),
    };
  }
}
