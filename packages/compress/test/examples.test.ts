// Runs every documentation example of @aimodel/compress (TSDoc and README) on the CPU, with the exports
// of @aimodel/compress, @aimodel/nn (which re-exports @aimodel/tensor) and @aimodel/optim in scope.
import * as nn from '@aimodel/nn';
import * as optim from '@aimodel/optim';
import { describeExamples } from '../../nn/test/examples/runner';
import * as compress from '../src/index';

describeExamples({ packages: ['compress'], guides: false, names: { ...nn, ...optim, ...compress }, nn });
