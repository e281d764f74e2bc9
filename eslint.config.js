import eslint from '@eslint/js';
import jest from 'eslint-plugin-jest';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const FEATURES = ['users', 'auth', 'health', 'audit'];
const CROSS_CUTTING = [
  'database',
  'redis',
  'cache',
  'logging',
  'metrics',
  'rate-limit',
  'lifecycle',
  'common',
  'config',
];

/** Import rules by the role a file plays (its name). */
const ROLE_RULES = [
  {
    files: 'src/**/*.controller.ts',
    patterns: [
      {
        group: ['typeorm', '**/*.repository.js', '**/*.entity.js'],
        message: 'Controllers call services, never persistence.',
      },
    ],
  },
  {
    files: 'src/**/*.service.ts',
    patterns: [
      { group: ['express'], message: 'Services never see Request/Response.' },
      {
        group: ['typeorm'],
        importNames: ['Repository', 'QueryBuilder', 'SelectQueryBuilder', 'EntityManager'],
        message: 'Queries belong in repositories.',
      },
    ],
  },
  {
    files: 'src/**/*.repository.ts',
    patterns: [
      {
        group: ['**/*.dto.js', '**/dto/*', '**/*.service.js', 'express', '@nestjs/swagger'],
        message: 'Repositories only persist.',
      },
    ],
  },
];

/** Import rules by the folder a file lives in. */
const FOLDER_RULES = [
  {
    files: CROSS_CUTTING.map((folder) => `src/${folder}/**/*.ts`),
    patterns: [
      {
        group: FEATURES.map((feature) => `**/${feature}/*`),
        message: 'Cross-cutting code never depends on a feature.',
      },
    ],
  },
  {
    files: ['src/users/**/*.ts'],
    patterns: [{ group: ['**/auth/*'], message: 'auth depends on users, never the reverse.' }],
  },
  {
    files: ['src/audit/**/*.ts'],
    patterns: [
      {
        // The role decorator is metadata only; anything else would be a dependency cycle.
        group: ['**/auth/*', '**/users/*', '!**/users/roles.decorator.js'],
        message: 'users and auth depend on audit, never the reverse.',
      },
    ],
  },
];

/**
 * One `no-restricted-imports` entry per role, per folder, and per (folder, role) pair with both
 * pattern lists: in a flat config a later entry replaces a rule's options rather than adding to
 * them, so a controller inside `users/` needs an entry that carries both lists.
 */
function layeringConfigs() {
  const restrict = (patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });
  return [
    ...ROLE_RULES.map((role) => ({ files: [role.files], rules: restrict(role.patterns) })),
    ...FOLDER_RULES.map((folder) => ({ files: folder.files, rules: restrict(folder.patterns) })),
    ...FOLDER_RULES.flatMap((folder) =>
      ROLE_RULES.map((role) => ({
        files: folder.files.map((glob) => [glob, role.files]),
        rules: restrict([...folder.patterns, ...role.patterns]),
      })),
    ),
  ];
}

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
      curly: ['error', 'multi-line'],
      eqeqeq: ['error', 'always'],
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
  // Layering: controllers -> services -> repositories; cross-cutting folders never import a
  // feature; users never imports auth (auth -> users is the one allowed direction).
  ...layeringConfigs(),
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
    plugins: { jest },
    rules: {
      'jest/no-focused-tests': 'error',
      'jest/no-disabled-tests': 'error',
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
