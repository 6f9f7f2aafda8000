// Type-checks the examples examples.test.ts runs (tensor, nn, optim and the guides): see examples/typecheck.ts.
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as optim from '@aimodel/optim';
import * as nn from '../src/index';
import { typecheckExamples } from './examples/typecheck';

typecheckExamples({
  packages: ['tensor', 'nn', 'optim'],
  guides: true,
  imports: [
    { from: '../src/index', values: Object.keys(nn), typesOf: ['tensor', 'nn'] },
    { from: '@aimodel/optim', values: Object.keys(optim), typesOf: ['optim'] },
  ],
  dir: dirname(fileURLToPath(import.meta.url)),
});
