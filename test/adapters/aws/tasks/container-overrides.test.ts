import { describe, expect, it } from 'vitest';
import { containerEnvironment, containerScript, OverridesTooLargeError, containerOverrides } from '../../../../shared/adapters/aws/tasks/container-overrides.ts';
import type { TaskSpec } from '../../../../shared/ports/task-driver.ts';

const spec: TaskSpec = { taskId: 'r1-0', group: 'r1', command: 'python serve.py', environment: {}, labels: {} };

describe('containerScript', () => {
  it('runs the start script and the command in one shell, as the local driver does', () => {
    expect(containerScript({ ...spec, startScript: 'export MODE=fast' })).toBe('export MODE=fast\npython serve.py');
  });

  it('moves to the working directory first, read from /home/jovyan when relative, quoted for the shell', () => {
    expect(containerScript({ ...spec, workingDirectory: "team's work" })).toBe("cd '/home/jovyan/team'\\''s work' || exit 1\npython serve.py");
    expect(containerScript({ ...spec, workingDirectory: '/srv/app' })).toBe("cd '/srv/app' || exit 1\npython serve.py");
  });
});

describe('containerEnvironment', () => {
  it('adds PORT and one PORT_<n> per extra port, which the spec cannot change', () => {
    expect(containerEnvironment({ ...spec, environment: { PORT: '9999', A: '1' }, extraPorts: [8787] })).toEqual([
      { name: 'PORT', value: '8000' },
      { name: 'A', value: '1' },
      { name: 'PORT_8787', value: '8787' },
    ]);
  });
});

describe('containerOverrides', () => {
  it('refuses what ECS would refuse: overrides over 8,192 characters', () => {
    expect(() => containerOverrides({ ...spec, environment: { BIG: 'x'.repeat(8_100) } })).toThrow(OverridesTooLargeError);
    expect(() => containerOverrides({ ...spec, environment: { BIG: 'x'.repeat(7_900) } })).not.toThrow();
  });
});
