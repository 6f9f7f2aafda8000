// The page of fit.test.ts, written as an app that ran `npm install @aimodel/nn @aimodel/optim`
// would be: a small CNN trained Keras-style (compile + fit) on the CPU and then on WebGPU from the
// same seed, evaluated, saved to safetensors bytes and loaded into a fresh model. The results go
// to window.report.
import * as nn from '@aimodel/nn';
import { Adam } from '@aimodel/optim';

export interface DeviceRun {
  device: string;
  /** Parameters' device after construction under init({ device }). */
  paramDevice: string;
  loss: number[];
  accuracy: number[];
  evaluated: { loss: number; accuracy: number };
  /** Largest |difference| between the predictions of the trained model and of its reloaded copy. */
  reloadDiff: number;
}

export interface Report {
  runs: DeviceRun[];
  fatal?: string;
}

/** 1×8×8 images (made on the CPU, the same for both runs) whose class says which half is brighter. */
function data(device: nn.DeviceName): { x: nn.Tensor; y: nn.Tensor } {
  nn.manualSeed(5);
  const x = nn.randn([192, 1, 8, 8], { device: 'cpu' });
  const y = x
    .narrow(3, 0, 4)
    .sum([1, 2, 3])
    .gt(x.narrow(3, 4, 4).sum([1, 2, 3]))
    .to('int32');
  return { x: x.to(device), y: y.to(device) };
}

function cnn(): nn.Module {
  return new nn.Sequential(new nn.Conv2d(1, 4, 3, { padding: 1 }), new nn.ReLU(), new nn.MaxPool2d(2), new nn.Flatten(), new nn.Linear(64, 2));
}

async function run(device: nn.DeviceName): Promise<DeviceRun> {
  await nn.init({ device });
  const { x, y } = data(device);
  nn.manualSeed(6);
  const model = cnn();
  model.compile({ optimizer: new Adam(model.parameters(), { lr: 0.02 }), loss: nn.crossEntropy, metrics: ['accuracy'] });
  const history = await model.fit(x, y, { epochs: 6, batchSize: 32, verbose: 0 });
  const evaluated = await model.evaluate(x, y);
  const bytes = await nn.saveWeights(model);
  const copy = cnn();
  nn.loadWeights(copy, bytes);
  const diff = nn.noGrad(() => model.predict(x).sub(copy.predict(x)).abs().max());
  const run: DeviceRun = {
    device,
    paramDevice: model.parameters()[0].device,
    loss: history.history.loss,
    accuracy: history.history.accuracy,
    evaluated: { loss: evaluated.loss, accuracy: evaluated.accuracy },
    reloadDiff: await diff.item(),
  };
  for (const t of [x, y, diff]) t.dispose();
  return run;
}

async function main(): Promise<Report> {
  return { runs: [await run('cpu'), await run('webgpu')] };
}

declare global {
  interface Window {
    report: Promise<Report>;
  }
}

window.report = main().catch((e) => ({ runs: [], fatal: String((e as Error).stack ?? e) }));
