// typescript-eslint with type information: unawaited GPU promises are this code base's typical bug,
// so no-floating-promises and no-misused-promises are errors everywhere the code runs.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', '.tmp/**', 'node_modules/**', 'bench/results/**', 'test/fixtures/**', '**/*.d.mts'] },
  {
    files: ['**/*.ts', '**/*.mts', 'scripts/**/*.mjs', 'bench/**/*.mjs', '*.mjs'],
    extends: [tseslint.configs.base],
    languageOptions: {
      parserOptions: { project: ['./tsconfig.json', './tsconfig.scripts.json'], tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/require-await': 'off',
    },
  },
);
