import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'cdk.out/', '.data/', 'dist/', '.scratch/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // Type-aware rules for the async bugs types can see: a promise nobody awaits,
    // an async callback where a void one is expected, awaiting a non-promise.
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
    },
  },
  {
    // The domain meets AWS only through its ports (shared/ports); the adapters and the wiring import it, never the reverse.
    files: ['shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@aws-sdk/*', '#adapters/aws/*'],
              message: 'The domain reaches AWS through a port in shared/ports; the implementation lives in adapters/aws.',
            },
            {
              group: ['#functions/*', '#local/*', '#simulator/*', '#bench/*', '#test/*', '#infra/*'],
              message: 'The domain never imports the wiring, the simulator or the tests.',
            },
          ],
        },
      ],
    },
  },
  {
    // Plain Node scripts (run by the machine's own node, before npm ci).
    files: ['**/*.mjs', 'bin/*.js'],
    languageOptions: { globals: { URL: 'readonly', console: 'readonly', process: 'readonly' } },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
);
