// TypeDoc plugin: groups every exported symbol of the API site into a user-facing category
// (Layers, Losses, Optimizers, …) from the source file that declares it, so new files land in
// the right group without a tag on each symbol. An explicit `@category` in a doc comment wins.
import { Comment, CommentTag, Converter, ReflectionKind } from 'typedoc';

/** Category order: `categoryOrder` in typedoc.json. First match wins: [package, path inside src/ (a prefix), category]. */
const RULES = [
  ['tensor', 'tensor.ts', 'Tensors'],
  ['tensor', 'dtype.ts', 'Tensors'],
  ['tensor', 'shape.ts', 'Tensors'],
  ['tensor', 'format.ts', 'Tensors'],
  ['tensor', 'creation.ts', 'Creation'],
  ['tensor', 'random.ts', 'Creation'],
  ['tensor', 'ops/elementwise.ts', 'Math'],
  ['tensor', 'ops/reduce.ts', 'Reductions'],
  ['tensor', 'ops/movement.ts', 'Shape and indexing'],
  ['tensor', 'ops/indexing.ts', 'Shape and indexing'],
  ['tensor', 'ops/pad.ts', 'Shape and indexing'],
  ['tensor', 'ops/triangular.ts', 'Shape and indexing'],
  ['tensor', 'ops/reorder.ts', 'Shape and indexing'],
  ['tensor', 'ops/similarity.ts', 'Math'],
  ['tensor', 'ops/einsum.ts', 'Math'],
  ['tensor', 'ops/sampling.ts', 'Creation'],
  ['tensor', 'ops/define-op.ts', 'Extending'],
  ['tensor', 'ops/glove.ts', 'Embedding updates'],
  ['tensor', 'ops/optimizer-steps.ts', 'Optimizers'],
  ['tensor', 'linalg/', 'Linear algebra'],
  ['tensor', 'ops/', 'Neural network ops'],
  ['tensor', 'autograd/', 'Autograd'],
  ['tensor', 'memory.ts', 'Memory'],
  ['tensor', 'device.ts', 'Devices'],
  ['tensor', 'backend/', 'Devices'],
  ['tensor', 'errors.ts', 'Errors'],
  ['tensor', 'checks.ts', 'Errors'],
  ['tensor', 'io/', 'Serialization'],
  ['nn', 'layers/', 'Layers'],
  ['nn', 'losses/', 'Losses'],
  ['nn', 'metrics/', 'Metrics'],
  ['nn', 'data/', 'Data'],
  ['nn', 'training/', 'Training'],
  ['nn', 'init', 'Initialization'],
  ['nn', 'io/', 'Serialization'],
  ['nn', '', 'Modules'],
  ['optim', 'lr-scheduler/', 'Schedulers'],
  ['optim', '', 'Optimizers'],
  ['nlp', 'tokenize.ts', 'Text'],
  ['nlp', 'corpus.ts', 'Text'],
  ['nlp', 'vocabulary.ts', 'Text'],
  ['nlp', 'pad.ts', 'Text'],
  ['nlp', 'cooccurrence', 'Co-occurrence'],
  ['nlp', 'glove', 'GloVe'],
  ['nlp', 'formats/', 'File formats'],
  ['nlp', '', 'Word vectors'],
  ['compress', 'prune', 'Pruning'],
  ['compress', 'quantize', 'Quantization'],
  ['compress', 'distill', 'Distillation'],
  ['compress', '', 'Measuring'],
];

/** The category of a source file (`…/packages/<pkg>/src/<path>`), or undefined outside the packages. */
export function categoryOf(fileName) {
  const m = /packages\/([^/]+)\/src\/(.+)$/.exec(fileName.replaceAll('\\', '/'));
  if (!m) return undefined;
  const [, pkg, path] = m;
  for (const [p, prefix, category] of RULES) if (p === pkg && path.startsWith(prefix)) return category;
  return undefined;
}

export function load(app) {
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    const project = context.project;
    for (const module of project.getReflectionsByKind(ReflectionKind.Module)) {
      for (const child of [...(module.children ?? [])]) {
        // @aimodel/nn re-exports the tensor API for convenience; it is documented once, under @aimodel/tensor
        if (
          module.name !== '@aimodel/tensor' &&
          /packages\/tensor\/(src|dist)\/|@aimodel\/tensor\//.test(project.getSymbolIdFromReflection(child)?.fileName ?? '')
        ) {
          project.removeReflection(child);
          continue;
        }
        if (child.comment?.getTag('@category')) continue;
        const id = project.getSymbolIdFromReflection(child);
        const category = id?.fileName ? categoryOf(id.fileName) : undefined;
        if (!category) continue;
        child.comment ??= new Comment();
        child.comment.blockTags.push(new CommentTag('@category', [{ kind: 'text', text: category }]));
      }
    }
  });
}
