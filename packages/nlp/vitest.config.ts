import { defineConfig } from 'vitest/config';
import '../../scripts/lavapipe-env';

export default defineConfig({
  test: { include: ['test/**/*.test.ts'], setupFiles: ['test/setup.ts'], testTimeout: 60_000 },
});
