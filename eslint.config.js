import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// src/'s top-level folders, lowest first: a folder may import only from folders before it (the
// README's Layout section). The core imports nothing outside itself but Node's built-ins.
export const LAYERS = [
  'core',
  'aws',
  'keys',
  'settings',
  'lambda',
  'idp',
  'gateway',
  'template',
  'web',
  'cli',
];
const layerRules = LAYERS.map((layer, i) => {
  const higher = LAYERS.slice(i + 1);
  const patterns = [];
  if (layer === 'core')
    patterns.push({
      regex: '^(?!node:|\\./)',
      message: 'src/core is pure: it imports only its own modules and node: built-ins.',
    });
  else
    patterns.push({
      regex: `^(\\.\\./)+(${higher.join('|')})(/|$)`,
      message: `src/${layer} may import only from ${LAYERS.slice(0, i).join(', ')} (imports point one way; see the README's Layout).`,
    });
  return {
    files: [`src/${layer}/**/*.ts`],
    rules: { 'no-restricted-imports': ['error', { patterns }] },
  };
});

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'bench/.build/', '.tollgate/', '.test-build/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        performance: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  ...layerRules,
  {
    // Short named steps (issue 11): a function that grows past this is split, not excused.
    files: ['src/**/*.ts'],
    rules: {
      'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true }],
    },
  },
  {
    // Third-party-shaped authorizers: CommonJS as their projects write it; the unused callback
    // parameter is the point (it decides the runtime's contract).
    files: ['test/fixtures/third-party/**/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', module: 'writable', exports: 'writable' },
    },
    rules: {
      '@typescript-eslint/no-require-imports': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { args: 'none' }],
    },
  },
);
