#!/usr/bin/env bash
# Builds the project and packs into .gpu/ exactly what a benchmark needs on the bare NVIDIA host
# (no Node.js, no network there), checks the size of .gpu/ and prints the `run` tool command.
#
#   bash benchmarks/gpu-host.sh [--no-build] [--smoke] [bench.mjs ...]
#
#   bench.mjs ...  the benchmark files to pack for (default: benchmarks/webgpu.bench.mjs and
#                  benchmarks/matmul-tune.mjs, which benchmarks/gpu-session.sh runs)
#   --no-build     skip `npm run build` (the @aimodel dist/ folders must exist)
#   --smoke        then copy the working tree, as the `run` tool sends it, to a scratch folder
#                  with no node_modules, add .gpu/ and run `bash .gpu/remote.sh node <bench>
#                  --quick` there: the host's path end to end, on lavapipe instead of the GPU.
#                  NB: remote.sh runs `dpkg -x` of the packed Vulkan loader / glvnd packages
#                  into / (as it does on the host).
#
# How: ../shared/gpu/pack.sh writes .gpu/ (Node binary, Vulkan loader debs, `webgpu` with the
# linux-x64 Dawn only, the built @aimodel packages, benchmark/lodash/platform). This script then
# reads the bare module specifiers the benchmark files require/import (following their relative
# imports, e.g. harness.mjs), computes the npm dependency closure of those packages from
# node_modules (dependencies, optional and peer dependencies, nested node_modules honoured;
# packages holding no JavaScript, such as @types/*, left out), and re-packs .gpu/modules.tar.xz
# with that closure. A package whose entry file pulls in no relative file (tfjs's Node bundles,
# lodash.js, platform.js) ships as package.json + entry + licence; any other package ships its
# files minus source maps, TypeScript sources/declarations and Markdown. The packed modules are
# then require()d from the staging folder alone, so a missing one fails here, not on the host.
set -euo pipefail
root=$(git rev-parse --show-toplevel)
cd "$root"
shared=${AIMODEL_GPU_SHARED:-$root/../shared/gpu}
build=1 smoke=0 benches=()
for a in "$@"; do
  case $a in
    --no-build) build=0 ;;
    --smoke) smoke=1 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    -*) echo "gpu-host.sh: unknown option $a" >&2; exit 2 ;;
    *) benches+=("$a") ;;
  esac
done
[ ${#benches[@]} -gt 0 ] || benches=(benchmarks/webgpu.bench.mjs benchmarks/matmul-tune.mjs)
for b in "${benches[@]}"; do [ -f "$b" ] || { echo "gpu-host.sh: $b not found" >&2; exit 2; }; done
[ -f "$shared/pack.sh" ] || { echo "gpu-host.sh: $shared/pack.sh not found (set AIMODEL_GPU_SHARED)" >&2; exit 2; }
[ -d node_modules ] || { echo "gpu-host.sh: no node_modules: run npm ci first" >&2; exit 2; }

if [ $build = 1 ]; then echo "gpu-host.sh: npm run build"; npm run build >/dev/null; fi

echo "gpu-host.sh: ../shared/gpu/pack.sh"
bash "$shared/pack.sh" benchmark lodash platform

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
stage=$work/node_modules
mkdir -p "$stage"
tar xJf .gpu/modules.tar.xz -C "$stage"

# The dependency closure: writes $work/locations (package folders under node_modules/, which
# replace whatever pack.sh put there), $work/files (the files to pack, relative to node_modules/)
# and $work/roots (the bare specifiers the benchmarks load); prints a summary on stderr.
node - "$root" "$work" "${benches[@]}" <<'JS'
const fs = require('node:fs');
const path = require('node:path');
const { builtinModules } = require('node:module');
const [root, work, ...benches] = process.argv.slice(2);
const nm = path.join(root, 'node_modules');
const packedByPackSh = new Set(['webgpu']); // pack.sh packs it with the linux-x64 Dawn binary only
const code = /\.(c|m)?js$|\.node$|\.wasm$/;

// 1. Bare specifiers loaded by the benchmark files (and the local modules they import).
const roots = new Set();
const seenFiles = new Set();
const specifierRes = [
  /\brequire\(\s*['"]([^'"]+)['"]\s*\)/g,
  /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
  /^\s*(?:import|export)\s+(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/gm,
];
function scan(file) {
  if (seenFiles.has(file)) return;
  seenFiles.add(file);
  const src = fs.readFileSync(file, 'utf8').split('\n').filter((l) => !/^\s*(\/\/|\*)/.test(l)).join('\n');
  for (const re of specifierRes) for (const m of src.matchAll(re)) {
    const s = m[1];
    if (s.startsWith('.')) scan(path.resolve(path.dirname(file), s));
    else if (!s.startsWith('node:') && !builtinModules.includes(s.split('/')[0])) roots.add(s);
  }
}
for (const b of benches) scan(path.resolve(root, b));

// 2. Node-style resolution of a package name from a folder, and the closure walk.
const pkgName = (spec) => spec.split('/').slice(0, spec.startsWith('@') ? 2 : 1).join('/');
function resolveFrom(dir, name) {
  for (let d = dir; ; d = path.dirname(d)) {
    const cand = path.join(d, 'node_modules', name);
    if (fs.existsSync(path.join(cand, 'package.json'))) return cand;
    if (d === root || d === path.dirname(d)) return null;
  }
}
const packages = new Map(); // real folder -> { name, loc, pj, why }
const queue = [];
for (const r of roots) queue.push({ name: pkgName(r), from: root, why: 'loaded by the benchmark', optional: false });
const missing = [];
while (queue.length) {
  const { name, from, why, optional } = queue.shift();
  const dir = resolveFrom(from, name);
  if (!dir) { if (!optional) missing.push(`${name} (${why})`); continue; }
  const real = fs.realpathSync(dir);
  if (packages.has(real)) continue;
  const pj = JSON.parse(fs.readFileSync(path.join(real, 'package.json'), 'utf8'));
  const rel = path.relative(fs.realpathSync(nm), real);
  const workspace = rel.startsWith('..'); // a workspace link (@aimodel/*): pack.sh packs its dist/
  packages.set(real, { name, pj, why, workspace, loc: workspace ? null : rel });
  const peerMeta = pj.peerDependenciesMeta ?? {};
  for (const [field, opt] of [['dependencies', false], ['optionalDependencies', true], ['peerDependencies', null]]) {
    for (const dep of Object.keys(pj[field] ?? {})) {
      queue.push({ name: dep, from: real, why: `${field.replace('ependencies', 'ependency')} of ${name}`, optional: opt ?? Boolean(peerMeta[dep]?.optional) });
    }
  }
}
if (missing.length) { console.error(`gpu-host.sh: not in node_modules: ${missing.join(', ')}`); process.exit(1); }

// 3. The files of each package.
function walk(dir, out = []) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, out); else if (e.isFile()) out.push(p);
  }
  return out;
}
function entryFile(dir, pj) {
  const main = typeof pj.main === 'string' && pj.main ? pj.main : 'index.js';
  for (const c of [main, `${main}.js`, `${main}.json`, path.join(main, 'index.js')]) {
    const p = path.join(dir, c);
    if (fs.existsSync(p) && fs.statSync(p).isFile()) return p;
  }
  return null;
}
const relativeLoad = /\brequire\(\s*['"]\.{1,2}(\/[^'"]*)?['"]\s*\)|\bimport\(\s*['"]\.{1,2}\/|^\s*(?:import|export)\s+(?:[^'";]*?\s+from\s+)?['"]\.{1,2}\//m;
const files = [];
const locations = [];
const summary = [];
for (const [real, p] of packages) {
  if (p.workspace) { summary.push([p.name, p.pj.version, 'workspace: built dist/ packed by pack.sh', 0, p.why]); continue; }
  if (packedByPackSh.has(p.name) && p.loc === p.name) { summary.push([p.name, p.pj.version, 'packed by pack.sh (linux-x64 Dawn only)', 0, p.why]); continue; }
  const all = walk(real);
  if (!all.some((f) => code.test(f))) { summary.push([p.name, p.pj.version, 'left out: no JavaScript (types only)', 0, p.why]); continue; }
  const entry = entryFile(real, p.pj);
  let keep, mode;
  if (entry && /\.(c|m)?js$/.test(entry) && !relativeLoad.test(fs.readFileSync(entry, 'utf8'))) {
    keep = [path.join(real, 'package.json'), entry, ...all.filter((f) => /^licen[cs]e/i.test(path.basename(f)) && path.dirname(f) === real)];
    mode = `bundle: ${path.relative(real, entry)}`;
  } else {
    keep = all.filter((f) => !/\.(map|ts|cts|mts|md|markdown)$/i.test(f) || /^licen[cs]e/i.test(path.basename(f)));
    mode = 'files minus maps, .ts/.d.ts, .md';
  }
  keep = [...new Set(keep)];
  const bytes = keep.reduce((s, f) => s + fs.statSync(f).size, 0);
  summary.push([p.loc, p.pj.version, mode, bytes, p.why]);
  locations.push(p.loc);
  for (const f of keep) files.push(path.join(p.loc, path.relative(real, f)));
}
fs.writeFileSync(path.join(work, 'locations'), locations.join('\n') + '\n');
fs.writeFileSync(path.join(work, 'files'), files.join('\n') + '\n');
fs.writeFileSync(path.join(work, 'roots'), [...roots].join('\n') + '\n');
console.error(`gpu-host.sh: modules loaded by ${benches.join(', ')}: ${[...roots].join(', ')}`);
console.error('gpu-host.sh: dependency closure:');
for (const [n, v, mode, bytes, why] of summary) console.error(`  ${`${n}@${v}`.padEnd(44)} ${(bytes ? `${(bytes / 2 ** 20).toFixed(2)} MiB` : '').padStart(9)}  ${mode}  [${why}]`);
JS

while read -r loc; do [ -n "$loc" ] && rm -rf "${stage:?}/$loc"; done < "$work/locations"
tar -C node_modules --dereference -cf - -T "$work/files" | tar -C "$stage" -xf -

# Load check: every module the benchmarks name, resolved from the staged node_modules alone.
(cd "$work" && env -u NODE_PATH node -e '
  const roots = require("fs").readFileSync("roots", "utf8").split("\n").filter(Boolean);
  for (const r of roots) { require(r); }
  console.log(`gpu-host.sh: load check passed (${roots.join(", ")}) from the packed modules alone`);
' 2>&1 | grep -v '^Warning: maxDynamic') || { echo "gpu-host.sh: load check failed" >&2; exit 1; }

rm -f .gpu/modules.tar.xz
tar cf - -C "$stage" . | xz -T0 -6 > .gpu/modules.tar.xz
mib() { echo $(( ($1 + 1048575) / 1048576 )); }
total=$(du -sb .gpu | cut -f1)
echo "gpu-host.sh: .gpu/ is $(mib "$total") MiB: node.xz $(mib "$(stat -c %s .gpu/node.xz)") MiB, gl/*.deb $(mib "$(du -cb .gpu/gl/*.deb | tail -1 | cut -f1)") MiB, modules.tar.xz $(mib "$(stat -c %s .gpu/modules.tar.xz)") MiB ($(du -sh "$stage" | cut -f1) unpacked)"
if [ "$total" -gt $((40 * 1048576)) ]; then echo "gpu-host.sh: .gpu/ is over 40 MiB: trim it before carrying it" >&2; exit 1; fi

cmds=()
for b in "${benches[@]}"; do
  name=$(basename "$b" .bench.mjs); name=${name%.mjs}
  cmds+=("rm -rf node_modules && bash .gpu/remote.sh node $b --json \$OUT/$name.json")
done

if [ $smoke = 1 ]; then
  sim=$work/hostsim
  mkdir -p "$sim"
  # what the run tool sends: tracked files as they are in the working tree + untracked, not ignored
  git ls-files -z -co --exclude-standard | tar --null --ignore-failed-read -T - -cf - 2>/dev/null | tar -C "$sim" -xf -
  cp -r .gpu "$sim/"
  for b in "${benches[@]}"; do
    echo "gpu-host.sh: smoke test in $sim (no node_modules): bash .gpu/remote.sh node $b --quick"
    (cd "$sim" && env -u NODE_PATH bash .gpu/remote.sh node "$b" --quick --json "$work/smoke.json") 2>&1 | grep -v '^Warning: maxDynamic'
    node -e '
      const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
      const rows = r.rows ?? [];
      // a suite with a peer (the `peer` field) has a peer row for every case but attention
      const peerless = r.peer === undefined ? [] : rows.filter((x) => !x.peer && !/attention/.test(x.name)).map((x) => x.name);
      if (!rows.length || (r.peer !== undefined && !String(r.peer).startsWith("@tensorflow")) || peerless.length) {
        console.error(`gpu-host.sh: smoke test incomplete: ${rows.length} rows; peer: ${r.peer}; rows without a peer: ${peerless.join(", ")}`);
        process.exit(1);
      }
      console.log(`gpu-host.sh: smoke test passed: ${rows.length} rows, peer ${r.peer ?? "none"}`);
    ' "$work/smoke.json"
  done
fi

echo
echo "On the GPU host, with the run tool (carry the pack; rm -rf node_modules makes remote.sh unpack"
echo "this pack even on a warm machine that still holds an older one):"
echo "  everything (benchmarks/gpu-session.sh: GPU/driver, matmul tuning sweep, WebGPU suite):"
echo "  command: rm -rf node_modules && bash .gpu/remote.sh bash benchmarks/gpu-session.sh"
echo "  carry: [\".gpu\"]   timeout_s: 600"
echo "  or one suite at a time:"
for c in "${cmds[@]}"; do
  echo "  command: $c"
  echo "  carry: [\".gpu\"]   timeout_s: 600   (add --quick for a first smoke test; --filter matmul,softmax for a subset)"
done
echo "Results come back under files_at; copy them to benchmarks/results/ and summarise them in benchmarks/RESULTS.md."
