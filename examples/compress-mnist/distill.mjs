// The distillation rows: a student with half the channels and units of the CNN (≈ ¼ of its
// parameters) trained on the labels alone, and the same student trained with the CNN as teacher
// (Hinton et al.'s loss through Distiller), each over several seeds.
import { Distiller } from '@aimodel/compress';
import { manualSeed } from '@aimodel/nn';
import { cnn, train } from './model.mjs';

/** Distillation settings: temperature 4, α = 0.9 on the soft (teacher) term, as Hinton et al. */
export const KD = { temperature: 4, alpha: 0.9 };

/**
 * The students of `seeds`, trained `epochs` on `data` alone (`teacher` null) or distilled from
 * `teacher`. Each seed fixes the initial weights and the batch order, the same for both.
 */
export async function students(teacher, data, { seeds, epochs, verbose = 2 }) {
  const out = [];
  for (const seed of seeds) {
    manualSeed(seed);
    const student = cnn(0.5);
    const trainer = teacher ? new Distiller(student, teacher, KD) : student;
    await train(student, data, { epochs, lr: 2e-3, trainer, seed, verbose });
    out.push(student);
  }
  return out;
}
