// ESLint (flat config): typescript-eslint's recommended type-checked rules over everything we write;
// formatting is Prettier's job (eslint-config-prettier turns off the rules that would disagree).
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'test/e2e/consumers/fixtures/**', 'coverage/**', 'example/public/build/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.node, ...globals.browser },
    },
  },
  {
    rules: {
      // `async` on a synchronous implementation of an async interface (MemoryStore, the tabs' post/close,
      // koa-session store methods) is deliberate: a throw becomes a rejection, as callers expect.
      '@typescript-eslint/require-await': 'off',
      // Unused arguments named `_x` document a signature (a callback's shape) without being used.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Plain JavaScript (build scripts, this file): no type information.
    files: ['**/*.{js,mjs,cjs}'],
    ...tseslint.configs.disableTypeChecked,
  },
  prettier,
);
