// Type-checks the examples examples.test.ts runs: see nn's test/examples/typecheck.ts.
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as nn from '@aimodel/nn';
import * as optim from '@aimodel/optim';
import { typecheckExamples } from '../../nn/test/examples/typecheck';
import * as compress from '../src/index';

typecheckExamples({
  packages: ['compress'],
  guides: false,
  imports: [
    { from: '../src/index', values: Object.keys(compress), typesOf: ['compress'] },
    { from: '@aimodel/nn', values: Object.keys(nn), typesOf: ['tensor', 'nn'] },
    { from: '@aimodel/optim', values: Object.keys(optim), typesOf: ['optim'] },
  ],
  dir: dirname(fileURLToPath(import.meta.url)),
});
