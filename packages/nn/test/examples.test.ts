// Runs every documentation example of @aimodel/tensor, @aimodel/nn and @aimodel/optim, and the
// guides, on the CPU: see examples/runner.ts and examples/extract.ts.
import * as optim from '@aimodel/optim';
import * as nn from '../src/index';
import { describeExamples } from './examples/runner';

describeExamples({ packages: ['tensor', 'nn', 'optim'], guides: true, names: { ...nn, ...optim }, nn });
