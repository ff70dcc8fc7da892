// Lint rules: the recommended sets, plus the habits the README's Architecture section describes (a pure domain, type-only imports).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { dirname, relative, resolve, sep } from 'node:path';

// `import { z } from 'zod'` keeps every zod locale in a Lambda bundle (about 350 KB, slower
// cold starts: bench/lambda-bundles.ts); the namespace import lets esbuild drop them.
const ZOD_NAMESPACE_ONLY = ["ImportSpecifier[imported.name='z']", 'ImportDefaultSpecifier'].map((kind) => ({
  selector: `ImportDeclaration[source.value='zod'] > ${kind}`,
  message: "Write `import * as z from 'zod'`: `import { z }` or a default import keeps every zod locale in the Lambda bundles.",
}));

/** The repository folder a relative import lands in, e.g. `functions/reactor/handler.ts`; null for a package. */
function importedFile(context, source) {
  if (!source.startsWith('.')) return null;
  return relative(context.cwd, resolve(dirname(context.filename), source)).split(sep).join('/');
}

/**
 * Layering, checked on where an import resolves to rather than on how its path is spelled:
 * - `domain-imports-no-ports`: the domain (shared/domain, events) is the core the ports are
 *   written in terms of; a type the domain produces lives in the domain, and a port imports it.
 * - `lambda-imports-no-other-lambda`: each functions/<name> folder is one Lambda bundle; code
 *   two of them need belongs in shared/ (or beside them in functions/), never in one of them.
 */
const layering = {
  rules: {
    'domain-imports-no-ports': {
      meta: { type: 'problem', schema: [] },
      create(context) {
        return {
          'ImportDeclaration, ExportNamedDeclaration[source], ExportAllDeclaration'(node) {
            const target = importedFile(context, node.source.value);
            if (target?.startsWith('shared/ports/') || target?.startsWith('shared/adapters/') || target?.startsWith('shared/app/')) {
              context.report({ node, message: `The domain imports nothing from ${target.split('/').slice(0, 2).join('/')}: move the type it needs into shared/domain and let the port import it.` });
            }
          },
        };
      },
    },
    'lambda-imports-no-other-lambda': {
      meta: { type: 'problem', schema: [] },
      create(context) {
        const own = relative(context.cwd, context.filename).split(sep);
        return {
          'ImportDeclaration, ExportNamedDeclaration[source], ExportAllDeclaration'(node) {
            const target = importedFile(context, node.source.value)?.split('/');
            if (!target || target[0] !== 'functions' || target.length < 3 || target[1] === own[1]) return;
            context.report({ node, message: `functions/${own[1]} imports functions/${target[1]}'s file ${target.slice(2).join('/')}: move what both Lambdas need into shared/.` });
          },
        };
      },
    },
  },
};

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
    plugins: { layering },
    rules: {
      'no-restricted-imports': ['error', { patterns: ['@aws-sdk/*', 'node:fs', 'node:http', 'node:child_process', 'dynalite'] }],
      'layering/domain-imports-no-ports': 'error',
    },
  },
  {
    files: ['functions/*/**/*.ts'],
    plugins: { layering },
    rules: { 'layering/lambda-imports-no-other-lambda': 'error' },
  },
);
