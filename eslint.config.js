import eslint from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const restrict = (patterns) => ({
  'no-restricted-imports': ['error', { patterns }],
});

export default tseslint.config(
  { ignores: ['dist/', 'coverage/', 'node_modules/', 'bench/results/', '.data/'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      // Nest's DI needs the runtime import of injected classes; type-only would erase them.
      '@typescript-eslint/no-extraneous-class': 'off',
    },
  },
  {
    // Decorator metadata needs value imports for constructor-injected classes and DTO types.
    files: ['src/**/*.ts'],
    rules: { '@typescript-eslint/consistent-type-imports': 'off' },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: globals.node },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  // Layering (see ../shared/style.md): controllers -> services -> repositories.
  {
    files: ['src/**/*.controller.ts'],
    rules: restrict([
      {
        group: ['typeorm', '**/*.repository.js', '**/*.entity.js'],
        message: 'Controllers call services, never persistence.',
      },
    ]),
  },
  {
    files: ['src/**/*.service.ts'],
    rules: restrict([
      { group: ['express'], message: 'Services never see Request/Response.' },
      {
        group: ['typeorm'],
        importNames: ['Repository', 'QueryBuilder', 'SelectQueryBuilder', 'EntityManager'],
        message: 'Queries belong in repositories.',
      },
    ]),
  },
  {
    files: ['src/**/*.repository.ts'],
    rules: restrict([
      {
        group: ['**/*.dto.js', '**/dto/*', '**/*.service.js', 'express', '@nestjs/swagger'],
        message: 'Repositories only persist.',
      },
    ]),
  },
  {
    files: ['src/common/**/*.ts', 'src/config/**/*.ts'],
    rules: restrict([
      {
        group: ['**/users/*', '**/auth/*', '**/health/*'],
        message: 'Cross-cutting code never depends on a feature.',
      },
    ]),
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/config/**'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Only src/config reads process.env.' },
      ],
    },
  },
  {
    files: ['**/*.spec.ts', 'test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      // supertest bodies are `any` by design; assertions are what checks their shape.
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
);
