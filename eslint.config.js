// Lint rules: the recommended sets, plus the habits the README's Architecture section describes (a pure domain, type-only imports).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// `import { z } from 'zod'` keeps every zod locale in a Lambda bundle (about 350 KB, slower
// cold starts: bench/lambda-bundles.ts); the namespace import lets esbuild drop them.
const ZOD_NAMESPACE_ONLY = ["ImportSpecifier[imported.name='z']", 'ImportDefaultSpecifier'].map((kind) => ({
  selector: `ImportDeclaration[source.value='zod'] > ${kind}`,
  message: "Write `import * as z from 'zod'`: `import { z }` or a default import keeps every zod locale in the Lambda bundles.",
}));

export default tseslint.config(
  { ignores: ['node_modules/**', 'cdk.out/**', '.data/**', 'coverage/**', 'console/dist/**', 'console/dist.*/**', 'test-results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
      eqeqeq: ['error', 'always'],
      'no-restricted-syntax': ['error', ...ZOD_NAMESPACE_ONLY],
    },
  },
  {
    // The domain core is pure: no AWS SDK, no I/O.
    files: ['shared/domain/**/*.ts', 'events/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['@aws-sdk/*', 'node:fs', 'node:http', 'node:child_process', 'dynalite'] }],
    },
  },
);
