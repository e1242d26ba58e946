// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** typescript-eslint's recommended rules over every TypeScript file; formatting is prettier's job. */
export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', 'docs-site/**', 'bench-results/**', 'examples/lab/dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      // `_`-prefixed parameters and variables are deliberately unused (interface conformance, destructuring).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
);
