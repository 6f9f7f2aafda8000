#!/usr/bin/env bash
# Everything a GPU-host session measures, in one command that fits the device tool's 600 s limit:
# the GPU and driver, the matmul tuning sweep (matmul-tune.mjs), then the WebGPU suite
# (webgpu.bench.mjs). Results go to $OUT (the run tool's output folder), or benchmarks/results/.
# Run through the packed runtime, after `bash benchmarks/gpu-host.sh` here:
#   rm -rf node_modules && bash .gpu/remote.sh bash benchmarks/gpu-session.sh
# Each part has its own time limit, so a slow part cannot take the others' results with it.
set -u
out=${OUT:-benchmarks/results}
mkdir -p "$out"
quiet() { grep --line-buffered -v '^Warning: maxDynamic'; }
{ nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm,clocks.max.mem --format=csv || echo "no nvidia-smi"; } > "$out/gpu.txt" 2>&1
cat "$out/gpu.txt"
timeout "${TUNE_S:-200}" node benchmarks/matmul-tune.mjs --json "$out/matmul-tune.json" "$@" 2>&1 | quiet
echo "matmul-tune: exit ${PIPESTATUS[0]}"
timeout "${SUITE_S:-330}" node benchmarks/webgpu.bench.mjs --profile --json "$out/webgpu.json" 2>&1 | quiet
echo "webgpu.bench: exit ${PIPESTATUS[0]}"
