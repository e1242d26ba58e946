import { defineConfig } from 'vitest/config';

const project = (name: string, dir: string) => ({
  extends: true as const,
  test: { name, include: [`${dir}/test/**/*.test.ts`] },
});

export default defineConfig({
  test: {
    projects: [
      project('tensor', 'packages/tensor'),
      project('autograd', 'packages/autograd'),
      project('optim', 'packages/optim'),
      project('nn', 'packages/nn'),
      project('examples', 'examples'),
      project('lab', 'examples/lab'),
    ],
    testTimeout: 60_000,
    setupFiles: ['./vitest.setup.ts'],
  },
});
