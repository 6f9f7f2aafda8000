// Runs every documentation example of @aimodel/nlp (TSDoc and README) on the CPU, with the exports
// of @aimodel/nlp, @aimodel/nn (which re-exports @aimodel/tensor) and @aimodel/optim in scope.
import * as nn from '@aimodel/nn';
import * as optim from '@aimodel/optim';
import { describeExamples } from '../../nn/test/examples/runner';
import * as nlp from '../src/index';

describeExamples({ packages: ['nlp'], guides: false, names: { ...nn, ...optim, ...nlp }, nn });
