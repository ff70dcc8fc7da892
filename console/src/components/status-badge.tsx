import type { Status } from '../api-client.ts';

/** A resource's or run's status as a coloured label; the word itself carries the meaning, not only the colour. */
export function StatusBadge({ status }: { status: Status | string }) {
  return (
    <span class={`badge badge-${status}`} data-status={status}>
      {status}
    </span>
  );
}
