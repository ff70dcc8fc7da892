import { describe, expect, it } from 'vitest';
import { podSummary, type PodFacts } from '../../../shared/domain/pod/pod-summary.ts';
import type { LogLine } from '../../../shared/ports/task-driver.ts';

const at = '2026-01-01T00:00:00.000Z';
const line = (stream: LogLine['stream'], message: string): LogLine => ({ timestamp: at, stream, message });
const pod: PodFacts = { name: 'p-0', resourceId: 'a'.repeat(32), status: 'pending', startedAt: at, finishedAt: null, exitCode: null, labels: {} };
const preparation = [line('system', 'git https://example.com/r.git: cloning into /home/jovyan/workspace/r'), line('stderr', "Cloning into 'r'...")];
const started = line('system', 'started: pid 42, working directory /home/jovyan, PORT=8000');

describe('podSummary', () => {
  it('shows a pod still preparing as a waiting main container and a running init container, which `format_logs` then prints', () => {
    const summary = podSummary(pod, preparation);
    expect(summary.container_summaries).toEqual([{ name: 'main', status: 'waiting', logs: '', started_at: null, finished_at: null, exit_code: null }]);
    expect(summary.init_container_summaries).toEqual([{ name: 'prepare', status: 'running', logs: preparation.map((l) => l.message).join('\n'), started_at: at, finished_at: null, exit_code: null }]);
    expect(summary.labels).toEqual({ 'saturncloud.io/resource-id': 'a'.repeat(32) });
  });

  it('splits the log at the line that starts the command', () => {
    const summary = podSummary({ ...pod, status: 'running' }, [...preparation, started, line('stdout', 'serving')]);
    expect(summary.container_summaries[0]).toMatchObject({ status: 'running', logs: `${started.message}\nserving` });
    expect(summary.init_container_summaries[0]).toMatchObject({ status: 'terminated', exit_code: 0 });
  });

  it('puts the lines of a pod that ended before its command started under main, so they show by default, and has no init container', () => {
    const summary = podSummary({ ...pod, status: 'failed', finishedAt: at, exitCode: null }, [...preparation, line('system', 'could not start: clone failed')]);
    expect(summary.container_summaries[0]).toMatchObject({ status: 'terminated', finished_at: at, logs: expect.stringContaining('could not start') });
    expect(summary.init_container_summaries).toEqual([]);
  });
});
