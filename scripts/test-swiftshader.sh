#!/usr/bin/env bash
# The tensor suite's WebGPU tests on a second Vulkan implementation: SwiftShader, the CPU Vulkan
# driver inside Debian's chromium package (scripts/install-chromium.sh), used by Dawn in Node
# through VK_DRIVER_FILES. It differs from Mesa's lavapipe (which `npm test` uses) where WGSL leaves
# room: subgroup size, NaN handling and the accuracy of exp/log/sin/cos.
# Runs the default suite (as `npm test`) and the kernel sweeps (as `npm run test:kernels`). Left out:
# the large-bk32 matmul tuning candidate, on which SwiftShader's shader compiler grows past 8 GiB
# (the candidate is never chosen by default; lavapipe runs it in `npm run test:kernels`).
set -euo pipefail
cd "$(dirname "$0")/.."

icd="${AIMODEL_SWIFTSHADER_ICD:-/usr/lib/chromium/vk_swiftshader_icd.json}"
if [ ! -f "$icd" ]; then
  echo "test-swiftshader: no SwiftShader ICD at $icd: bash scripts/install-chromium.sh, or set AIMODEL_SWIFTSHADER_ICD" >&2
  exit 1
fi
export VK_DRIVER_FILES="$icd" AIMODEL_REQUIRE_WEBGPU=1

# the adapter Dawn finds must be SwiftShader, or this run would repeat the lavapipe one
adapter=$(node --input-type=module -e "
  import { create, globals } from 'webgpu';
  Object.assign(globalThis, globals);
  const a = await create([]).requestAdapter();
  console.log(a ? a.info.architecture + ' / ' + a.info.description : 'none');
  process.exit(0);" 2>/dev/null)
echo "test-swiftshader: adapter $adapter"
case "$adapter" in *swiftshader*) ;; *) echo "test-swiftshader: expected a SwiftShader adapter" >&2; exit 1 ;; esac

cd packages/tensor
npx vitest run --exclude 'test/browser/**'
npx vitest run -c vitest.kernels.config.ts -t '^(?!.*large-bk32 tile)'
