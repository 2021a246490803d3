// Lint: typescript-eslint's recommended rules over src, test and bench.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'coverage/**', 'node_modules/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // CommonJS config files (.dependency-cruiser.cjs): module and require are theirs.
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly', __dirname: 'readonly' } },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-control-regex': 'off',
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/cli/main.ts'],
    rules: {
      // Only src/cli/main.ts touches the process (DESIGN: the core returns data, the CLI does I/O
      // through the CliIo it is given, so the same program runs in-process in the tests).
      'no-restricted-globals': ['error', { name: 'process', message: 'Only src/cli/main.ts touches process; commands use their CliIo.' }],
      'no-console': 'error',
    },
  },
);
