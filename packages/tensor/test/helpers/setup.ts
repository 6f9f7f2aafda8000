// Registered by vitest.config.ts `setupFiles`: the shared matchers every tensor test file can use.
import './all-close';
