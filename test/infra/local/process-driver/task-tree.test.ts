import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../../shared/domain/errors.ts';
import { TaskTree } from '../../../../infra/local/process-driver/task-tree.ts';

describe('TaskTree', () => {
  const tree = new TaskTree('/data/tasks', 'run-1-0');
  const home = '/data/tasks/run-1-0/home/jovyan';

  it('lays out a task under its id, with HOME at home/jovyan', () => {
    expect(tree).toMatchObject({
      dir: '/data/tasks/run-1-0',
      home,
      taskFile: '/data/tasks/run-1-0/task.json',
      exitFile: '/data/tasks/run-1-0/exit.json',
      logFile: '/data/tasks/run-1-0/log.ndjson',
    });
  });

  it.each([
    ['/home/jovyan', home],
    ['/home/jovyan/', home],
    ['/home/jovyan/work', join(home, 'work')],
    ['/home/jovyan/work/../data/./x', join(home, 'data', 'x')],
    ['work', join(home, 'work')],
    ['./a/b', join(home, 'a', 'b')],
    ['', home],
  ])('maps %j to its place under HOME', (specPath, hostPath) => {
    expect(tree.hostPath(specPath, 'workingDirectory')).toBe(hostPath);
  });

  it.each(['/etc', '/', '/home', '/home/jovyanx', '..', '../other-task', '/home/jovyan/../../etc'])('refuses %j, naming it and the field', (specPath) => {
    expect(() => tree.hostPath(specPath, 'workingDirectory')).toThrow(ValidationError);
    expect(() => tree.hostPath(specPath, 'workingDirectory')).toThrow(`workingDirectory ${JSON.stringify(specPath)} is outside /home/jovyan`);
  });

  it.each(['', '.', '..', '.hidden', 'a/b', 'a\\b', 'x'.repeat(201)])('refuses the task id %j', (taskId) => {
    expect(() => new TaskTree('/data/tasks', taskId)).toThrow(ValidationError);
  });
});
