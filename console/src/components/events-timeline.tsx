/** The resource's event history, newest first: who did what when (the audit log; secrets never appear in it). */
import { call, type DomainEvent } from '../api-client.ts';
import { usePoll } from '../use-poll.ts';
import { EmptyState, ErrorNotice, Loading } from './notice.tsx';

async function allEvents(base: string): Promise<DomainEvent[]> {
  const events: DomainEvent[] = [];
  let after = 0;
  for (;;) {
    const page: { events: DomainEvent[]; next_key: string | null } = await call('GET', `${base}/events?after_version=${after}`);
    events.push(...page.events);
    if (!page.next_key || page.events.length === 0) return events;
    after = page.events[page.events.length - 1]!.version;
  }
}

/** `ResourceStarted` → `Resource started`. */
function spoken(type: string): string {
  const words = type.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export function EventsTimeline({ base }: { base: string }) {
  const events = usePoll(() => allEvents(base), 3000, [base]);
  if (events.loading && !events.data) return <Loading what="events" />;
  const list = [...(events.data ?? [])].reverse();
  return (
    <>
      <ErrorNotice error={events.error} />
      {list.length === 0 ? (
        <EmptyState title="No events." />
      ) : (
        <ol class="timeline">
          {list.map((e) => (
            <li key={e.version}>
              <time dateTime={e.at}>{new Date(e.at).toLocaleString()}</time>
              <span class="event-type">{spoken(e.type)}</span>
              <span class="muted">{e.actor ? `by ${e.actor}` : 'by the platform'}</span>
            </li>
          ))}
        </ol>
      )}
    </>
  );
}
