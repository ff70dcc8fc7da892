import { describe, expect, it } from 'vitest';
import { ESLint } from 'eslint';

/** Lints a would-be file with the repository's own config, so a rule dropped from eslint.config.js fails here. */
async function ruleIdsFor(filePath: string, code: string): Promise<Array<string | null>> {
  const eslint = new ESLint({ cwd: process.cwd() });
  const [result] = await eslint.lintText(code, { filePath });
  return result!.messages.map((m) => m.ruleId);
}

describe('layering lint rules', () => {
  it('refuses a domain file importing a port, however the path is spelled', async () => {
    // Prepare / Act
    const viaImport = await ruleIdsFor('shared/domain/planner/probe.ts', "import type { TaskDriver } from '../../ports/task-driver.ts';\nexport type Probe = TaskDriver;\n");
    const viaReExport = await ruleIdsFor('events/probe.ts', "export type { TaskDriver } from '../shared/ports/task-driver.ts';\n");
    // Assess
    expect(viaImport).toContain('layering/domain-imports-no-ports');
    expect(viaReExport).toContain('layering/domain-imports-no-ports');
  });

  it('lets the domain import the domain', async () => {
    const ids = await ruleIdsFor('shared/domain/planner/probe.ts', "import type { TaskSpec } from './task-spec.ts';\nexport type Probe = TaskSpec;\n");
    expect(ids).not.toContain('layering/domain-imports-no-ports');
  });

  it("refuses a Lambda importing another Lambda's file, and allows shared code and its own files", async () => {
    const other = await ruleIdsFor('functions/reactor/probe.ts', "import { createApi } from '../api/create-api.ts';\nexport const probe = createApi;\n");
    const own = await ruleIdsFor('functions/reactor/probe.ts', "import { recordsOf } from './stream-records.ts';\nexport const probe = recordsOf;\n");
    const shared = await ruleIdsFor('functions/api/routes/probe.ts', "import { lambdaCredentials } from '../../lambda-credentials.ts';\nexport const probe = lambdaCredentials;\n");
    expect(other).toContain('layering/lambda-imports-no-other-lambda');
    expect(own).not.toContain('layering/lambda-imports-no-other-lambda');
    expect(shared).not.toContain('layering/lambda-imports-no-other-lambda');
  });
});
