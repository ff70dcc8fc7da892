/**
 * A task's log: pick the pod (newest first), search the lines, and follow to keep reading
 * as the task writes (polled; the view stays at the bottom while following).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { call, type LogLine } from '../api-client.ts';
import { usePoll } from '../use-poll.ts';
import { EmptyState, ErrorNotice, Loading } from './notice.tsx';

const FOLLOW_MS = 1500;
/** A log page is a few thousand lines; this many pages is more than a screen can use. */
const MAX_PAGES = 20;

interface Pod {
  pod_name: string;
  status: string;
  start_time?: string;
}

async function allLines(base: string, pod: string): Promise<LogLine[]> {
  const lines: LogLine[] = [];
  let next: string | null = null;
  for (let page = 0; page < MAX_PAGES; page++) {
    const query = `format=lines&pod_name=${encodeURIComponent(pod)}${next ? `&next_key=${encodeURIComponent(next)}` : ''}`;
    const answer: { logs: LogLine[]; next_key: string | null } = await call('GET', `${base}/logs?${query}`);
    lines.push(...answer.logs);
    if (!answer.next_key || answer.next_key === next || answer.logs.length === 0) break;
    next = answer.next_key;
  }
  return lines;
}

export function LogsPanel({ base }: { base: string }) {
  const pods = usePoll(() => call<{ pods: Pod[] }>('GET', `${base}/history`).then((h) => h.pods), 3000, [base]);
  const [chosen, setChosen] = useState('');
  const [follow, setFollow] = useState(true);
  const [search, setSearch] = useState('');
  const pod = chosen || pods.data?.[0]?.pod_name || '';
  const log = usePoll(() => (pod ? allLines(base, pod) : Promise.resolve([])), follow ? FOLLOW_MS : 0, [base, pod, follow]);
  const view = useRef<HTMLPreElement>(null);

  useEffect(() => {
    if (follow && view.current) view.current.scrollTop = view.current.scrollHeight;
  }, [log.data, follow]);

  const needle = search.toLowerCase();
  const lines = (log.data ?? []).filter((l) => !needle || l.message.toLowerCase().includes(needle));

  if (pods.data && pods.data.length === 0) return <EmptyState title="No logs yet: nothing has run." />;
  return (
    <div class="logs">
      <div class="filters">
        <label>
          <span>Pod</span>
          <select value={pod} onChange={(e) => setChosen(e.currentTarget.value)}>
            {(pods.data ?? []).map((p) => (
              <option key={p.pod_name} value={p.pod_name}>
                {p.pod_name} ({p.status})
              </option>
            ))}
          </select>
        </label>
        <label class="grow">
          <span>Search</span>
          <input type="search" placeholder="Filter lines" value={search} onInput={(e) => setSearch(e.currentTarget.value)} />
        </label>
        <label class="check">
          <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.currentTarget.checked)} /> Follow
        </label>
      </div>
      <ErrorNotice error={pods.error ?? log.error} />
      {log.loading && !log.data ? (
        <Loading what="logs" />
      ) : (
        <pre class="log-view" ref={view} tabIndex={0} aria-label="Log lines" data-testid="log-view">
          {lines.length === 0 ? (search ? 'No line matches.' : 'The log is empty so far.') : lines.map((l) => `${l.stream === 'stderr' ? '! ' : ''}${l.message}`).join('\n')}
        </pre>
      )}
    </div>
  );
}
