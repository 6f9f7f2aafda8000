#!/usr/bin/env bash
# Install the packages as a user would, from what `npm publish` would upload, and use them:
#   1. `npm pack` every workspace package (from its built dist/: run `npm run build` first);
#   2. a fresh app in a temporary folder outside the repository installs the tarballs (no registry
#      needed: the packages have no third-party dependencies; `webgpu` is an optional peer and is
#      not installed, so no platform binaries arrive);
#   3. the app runs an ESM script (trains a small model with @aimodel/nn and @aimodel/optim, checks
#      the WebGPU error without Dawn), a CommonJS script, a strict TypeScript typecheck with
#      moduleResolution bundler and node16 (ESM and CJS files), and an esbuild browser bundle, which
#      it then runs;
#   4. the changesets release flow without publishing: `changeset status`, then `changeset version`
#      and `npm publish --dry-run` of every package in a throwaway copy of the repository.
# The app uses the repository's TypeScript, esbuild and @types/node (no downloads).
# Usage: bash scripts/pack-install.sh   (npm run test:pack); AIMODEL_KEEP_APP=1 keeps the folder.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
bin="$repo/node_modules/.bin"
work=$(mktemp -d "${TMPDIR:-/tmp}/aimodel-pack-XXXXXX")
if [ "${AIMODEL_KEEP_APP:-}" = 1 ]; then echo "pack-install: keeping $work"; else trap 'rm -rf "$work"' EXIT; fi
start=$(date +%s)
step() { echo "── pack-install: $1 ($(( $(date +%s) - start ))s)"; }
fail() { echo "pack-install: FAILED: $1" >&2; exit 1; }

step "npm pack"
packages=(tensor nn optim nlp compress)
mkdir -p "$work/tarballs"
for p in "${packages[@]}"; do
  [ -f "$repo/packages/$p/dist/index.js" ] || fail "packages/$p/dist is missing: run npm run build first"
done
(cd "$repo" && npm pack --silent --workspaces --pack-destination "$work/tarballs" >/dev/null)
ls "$work/tarballs"
for p in "${packages[@]}"; do
  t=$(ls "$work/tarballs"/aimodel-"$p"-*.tgz)
  listing=$(tar -tzf "$t")
  for f in package/package.json package/LICENSE package/README.md package/dist/index.js package/dist/index.cjs package/dist/index.d.ts package/dist/index.d.cts; do
    grep -qx "$f" <<<"$listing" || fail "$(basename "$t") lacks $f"
  done
  if grep -q '^package/\(src\|test\)/' <<<"$listing"; then fail "$(basename "$t") ships src/ or test/"; fi
done

step "install the tarballs into a fresh app ($work/app)"
app="$work/app"
mkdir -p "$app/src"
cat >"$app/package.json" <<'EOF'
{ "name": "aimodel-pack-check", "private": true, "type": "module" }
EOF
(cd "$app" && npm install --silent --no-audit --no-fund --prefer-offline "$work"/tarballs/*.tgz)
[ ! -e "$app/node_modules/webgpu" ] || fail "webgpu (Dawn) was installed: it must stay an optional peer dependency"
find "$app/node_modules" -name '*.node' | grep -q . && fail "native binaries were installed: $(find "$app/node_modules" -name '*.node' | head -3)"
echo "installed: $(ls "$app/node_modules/@aimodel" | tr '\n' ' ')($(du -sh "$app/node_modules" | cut -f1))"

step "ESM script"
cat >"$app/esm.mjs" <<'EOF'
import assert from 'node:assert/strict';
import { BackendUnavailableError, Linear, mseLoss, ReLU, Sequential, ShapeError, init, manualSeed, randn, scope, tensor } from '@aimodel/nn';
import { Adam } from '@aimodel/optim';
import * as nlp from '@aimodel/nlp';
import * as compress from '@aimodel/compress';

assert.equal(typeof nlp, 'object');
assert.equal(typeof compress, 'object');
assert.equal(await init({ device: 'cpu' }), 'cpu');
manualSeed(0);
const model = new Sequential(new Linear(2, 16), new ReLU(), new Linear(16, 1));
const opt = new Adam(model.parameters(), { lr: 0.02 });
const x = randn([64, 2]);
const y = scope(() => x.sum(1, { keepdim: true }));
const losses = [];
for (let i = 0; i < 100; i++) {
  const loss = scope(() => {
    opt.zeroGrad();
    const l = mseLoss(model.forward(x), y);
    l.backward();
    opt.step();
    return l;
  });
  losses.push(await loss.item());
  loss.dispose();
}
assert.ok(losses[99] < 0.05 * losses[0], `loss ${losses[0]} -> ${losses[99]}`);
assert.throws(() => tensor([[1, 2]]).matmul(tensor([[1, 2]])), ShapeError);
// Dawn is an optional peer dependency, not installed here: the error says how to get it
await assert.rejects(init({ device: 'webgpu' }), (e) => e instanceof BackendUnavailableError && /npm install webgpu/.test(e.message));
console.log(`esm: loss ${losses[0].toFixed(3)} -> ${losses[99].toFixed(4)}`);
EOF
(cd "$app" && node esm.mjs)

step "CommonJS script"
cat >"$app/cjs.cjs" <<'EOF'
const assert = require('node:assert/strict');
const tensorPkg = require('@aimodel/tensor');
const nn = require('@aimodel/nn');
const { SGD } = require('@aimodel/optim');
require('@aimodel/nlp');
require('@aimodel/compress');

// nn re-exports the tensor API: the very same classes, so instanceof works across packages
assert.equal(nn.Tensor, tensorPkg.Tensor);
assert.equal(nn.ShapeError, tensorPkg.ShapeError);
const layer = new nn.Linear(3, 2);
const opt = new SGD(layer.parameters(), { lr: 0.1 });
const out = layer.forward(tensorPkg.ones([4, 3]));
assert.deepEqual(out.shape, [4, 2]);
out.sum().backward();
opt.step();
assert.deepEqual(Array.from(tensorPkg.tensor([[1, 2], [3, 4]]).matmul(tensorPkg.tensor([[1], [1]])).dataSync()), [3, 7]);
console.log('cjs: ok');
EOF
(cd "$app" && node cjs.cjs)

step "strict TypeScript: moduleResolution bundler and node16"
cat >"$app/src/app.ts" <<'EOF'
import { type DeviceName, Linear, type Tensor, init, tensor } from '@aimodel/nn';
import { Adam } from '@aimodel/optim';

export async function run(device: DeviceName = 'cpu'): Promise<number> {
  await init({ device });
  const layer = new Linear(2, 1);
  const opt = new Adam(layer.parameters(), { lr: 0.1 });
  const y: Tensor = layer.forward(tensor([[1, 2]]));
  y.sum().backward();
  opt.step();
  // @ts-expect-error: shapes are arrays of numbers
  tensor([[1, 2]]).reshape('2');
  return y.item();
}
EOF
cat >"$app/src/legacy.cts" <<'EOF'
import nn = require('@aimodel/nn');
import tensorPkg = require('@aimodel/tensor');
export const t: tensorPkg.Tensor = nn.zeros([2, 2]);
EOF
common='"strict": true, "noEmit": true, "skipLibCheck": false, "target": "es2022", "lib": ["es2022", "dom"], "types": ["node"], "typeRoots": ["'"$repo"'/node_modules/@types"], "noUncheckedIndexedAccess": true, "exactOptionalPropertyTypes": true'
cat >"$app/tsconfig.bundler.json" <<EOF
{ "compilerOptions": { $common, "module": "esnext", "moduleResolution": "bundler" }, "include": ["src/app.ts"] }
EOF
cat >"$app/tsconfig.node16.json" <<EOF
{ "compilerOptions": { $common, "module": "node16", "moduleResolution": "node16" }, "include": ["src/app.ts", "src/legacy.cts"] }
EOF
(cd "$app" && "$bin/tsc" -p tsconfig.bundler.json && "$bin/tsc" -p tsconfig.node16.json)
echo "tsc: ok"

step "esbuild browser bundle"
cat >"$app/src/browser.ts" <<'EOF'
import { Linear, init, tensor } from '@aimodel/nn';

export async function main(): Promise<number[]> {
  // a page would ask for 'webgpu' (navigator.gpu); the bundle is run in Node below, on the CPU
  await init({ device: 'cpu' });
  const layer = new Linear(2, 3);
  return Array.from(await layer.forward(tensor([[1, 2]])).data());
}
EOF
"$bin/esbuild" "$app/src/browser.ts" --bundle --minify --format=esm --platform=browser --target=es2022 --outfile="$app/bundle.js" --log-level=warning
if grep -Eq 'createRequire|(from|import\(|require\()"node:' "$app/bundle.js"; then fail "the browser bundle reaches Node-only code"; fi
(cd "$app" && node --input-type=module -e "
  const { main } = await import('./bundle.js');
  const out = await main();
  if (out.length !== 3 || !out.every(Number.isFinite)) throw new Error('bad output ' + out);
  console.log('browser bundle: ' + (await import('node:fs')).statSync('bundle.js').size + ' bytes, runs');
")

step "changesets: status, then version and publish --dry-run in a throwaway copy"
(cd "$repo" && "$bin/changeset" status >/dev/null) || fail "changeset status"
copy="$work/release"
mkdir -p "$copy"
(cd "$repo" && git ls-files -z --cached --others --exclude-standard | xargs -0 tar -cf - 2>/dev/null) | tar -xf - -C "$copy"
ln -s "$repo/node_modules" "$copy/node_modules"
for p in "${packages[@]}"; do cp -r "$repo/packages/$p/dist" "$copy/packages/$p/dist"; done
pending=$(ls "$copy/.changeset"/*.md | grep -vc README.md || true)
(cd "$copy" && "$bin/changeset" version >/dev/null)
left=$(ls "$copy/.changeset"/*.md | grep -vc README.md || true)
[ "$pending" = 0 ] || [ "$left" = 0 ] || fail "changeset version left $left of $pending changesets"
for p in "${packages[@]}"; do
  v=$(node -p "require('$copy/packages/$p/package.json').version")
  echo "  @aimodel/$p $(node -p "require('$repo/packages/$p/package.json').version") -> $v"
  (cd "$copy/packages/$p" && npm publish --dry-run --silent --tag pack-check >/dev/null 2>"$work/publish-$p.log") ||
    { cat "$work/publish-$p.log" >&2; fail "npm publish --dry-run of @aimodel/$p"; }
done

step "done"
