/**
 * The sidecar as ECS runs it: the real bundle (bundleEdgeSidecar, as the reactor's asset is
 * built), encoded into a real task definition (serviceTaskDefinitionInput), started as a real
 * child process with exactly the container's entry point, command and environment.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { bundleEdgeSidecar } from '../../../../infra/aws/function-bundle.ts';
import { EDGE_CONFIG_VARIABLE, type EdgeConfig } from '../../../../shared/adapters/aws/services/edge-config.ts';
import { EDGE_CODE_BUDGET, encodeEdgeCode } from '../../../../shared/adapters/aws/services/edge-sidecar.ts';
import { serviceTaskDefinitionInput } from '../../../../shared/adapters/aws/tasks/ecs-task-definitions.ts';
import { sizeNamed } from '../../../../shared/domain/sizes.ts';
import { closedPort, startBackend, type Backend } from '../../local/proxy/proxy-harness.ts';
import { OUR_ALB } from './alb-signing.ts';

/** "Amazon ECS endpoints and quotas" (AWS General Reference, https://docs.aws.amazon.com/general/latest/gr/ecs-service.html): task definition size, 64 KiB, not adjustable. */
const TASK_DEFINITION_MAX_BYTES = 64 * 1024;

let dir: string;
let code: string;
let app: Backend;
let child: ChildProcess | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cassini-edge-'));
  code = encodeEdgeCode(readFileSync(bundleEdgeSidecar(dir)));
  app = await startBackend();
});

afterAll(() => {
  child?.kill();
  app.server.close();
  rmSync(dir, { recursive: true, force: true });
});

function definition(script = 'exec python -m http.server $PORT') {
  return serviceTaskDefinitionInput(
    { image: 'python:3.12-slim', size: sizeNamed('medium')!, executionRoleArn: 'arn:aws:iam::123456789012:role/exec', taskRoleArn: 'arn:aws:iam::123456789012:role/task', logGroup: '/cassini/tasks', region: 'eu-west-1' },
    {
      family: 'cassini-0123456789abcdef0123456789000001-r1',
      script,
      environment: [{ name: 'PORT', value: '8000' }],
      ports: [8000],
      edge: {
        plan: { owner: 'ann', viewers: [], healthCheckPath: '/health', routes: [{ subdomain: 'web-ann', containerPort: 8000, visibility: 'unauthenticated' }] },
        settings: { image: 'public.ecr.aws/docker/library/node:22.12.0-alpine3.21', code, region: 'eu-west-1', loadBalancerArn: OUR_ALB, apiUrl: 'https://api.example.com' },
      },
    },
  );
}

describe('the edge sidecar bundle', () => {
  it('fits its budget, and a task definition with it leaves room for the app (ECS: 64 KiB per task definition)', () => {
    expect(code.length).toBeLessThanOrEqual(EDGE_CODE_BUDGET);
    const longScript = 'x'.repeat(TASK_DEFINITION_MAX_BYTES - EDGE_CODE_BUDGET - 8 * 1024);
    expect(Buffer.byteLength(JSON.stringify(definition(longScript)))).toBeLessThan(TASK_DEFINITION_MAX_BYTES);
  });

  it('runs from the container definition alone: node -e, the encoded bundle, the configuration', async () => {
    // Prepare: the definition's own ports are fixed; the test moves them to free ones.
    const edge = definition().containerDefinitions!.find((c) => c.name === 'edge')!;
    const config = JSON.parse(edge.environment!.find((v) => v.name === EDGE_CONFIG_VARIABLE)!.value!) as EdgeConfig;
    const routePort = await closedPort();
    const healthPort = await closedPort();
    const moved: EdgeConfig = { ...config, routes: [{ ...config.routes[0]!, listenPort: routePort, appPort: app.port }], health: { ...config.health, listenPort: healthPort, appPort: app.port } };
    const [command, ...args] = [...edge.entryPoint!, ...edge.command!];

    // Act
    child = spawn(command!, args, { env: { PATH: process.env.PATH, [EDGE_CONFIG_VARIABLE]: JSON.stringify(moved) }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await vi.waitFor(() => expect(output, 'the sidecar says it serves').toContain('edge serving'), { timeout: 10_000, interval: 50 });

    // Assess
    const health = await fetch(`http://127.0.0.1:${healthPort}/`);
    const page = await fetch(`http://127.0.0.1:${routePort}/hello`, { headers: { 'x-cassini-user': 'root' } });
    expect(health.status).toBe(200);
    expect(page.status).toBe(200);
    const echo = (await page.json()) as { url: string; headers: Record<string, string> };
    expect(echo.url).toBe('/hello');
    expect(echo.headers['x-cassini-user']).toBeUndefined();
  });

  it('ends with a clear error when its configuration is missing, so ECS stops the task', async () => {
    const edge = definition().containerDefinitions!.find((c) => c.name === 'edge')!;
    const [command, ...args] = [...edge.entryPoint!, ...edge.command!];

    const ended = spawn(command!, args, { env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    ended.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exitCode = await new Promise<number | null>((resolve) => ended.once('exit', (code) => resolve(code)));

    expect(exitCode).toBe(1);
    expect(output).toContain(`${EDGE_CONFIG_VARIABLE} is not set`);
  });
});
