/**
 * Why a revision was given up, in words the person who deployed it can act on: what happened,
 * how often, and which pod's log shows it.
 */

/** How one replica of a revision failed before the revision ever became healthy. */
export type ReplicaFailure =
  | { kind: 'exited'; pod: string; reason: string }
  | { kind: 'unanswered'; pod: string; lastProbe: string | null }
  | { kind: 'unhealthy'; pod: string; lastProbe: string | null }
  /** `refused`: the platform refused the launch (an attachment its owner may no longer use); retrying cannot help. */
  | { kind: 'not-launched'; pod: string; reason: string; refused?: boolean };

export interface GiveUpFacts {
  failure: ReplicaFailure;
  /** Failures in a row, this one included. */
  failures: number;
  healthCheckPath: string;
  graceMs: number;
}

export function giveUpReason({ failure, failures, healthCheckPath, graceMs }: GiveUpFacts): string {
  const times = failures === 1 ? 'once' : `${failures} times`;
  const logs = `see the logs of pod ${failure.pod}`;
  switch (failure.kind) {
    case 'exited':
      return `the command exited ${times} before passing its health check on ${healthCheckPath}, the last time: ${failure.reason}; ${logs}`;
    case 'unanswered':
      if (failure.lastProbe !== null && failure.lastProbe.startsWith('HTTP ')) {
        return `no replica passed its health check on ${healthCheckPath} within ${seconds(graceMs)} (${times}; the last answer was ${failure.lastProbe}); ${logs}`;
      }
      return (
        `no replica answered on ${healthCheckPath} within ${seconds(graceMs)} (${times}, last probe: ${failure.lastProbe ?? 'none'}); ` +
        `does the command listen on $PORT? ${capitalized(logs)}`
      );
    case 'unhealthy':
      return `replicas failed their health checks on ${healthCheckPath} ${times} (last: ${failure.lastProbe ?? 'no answer'}); ${logs}`;
    case 'not-launched':
      return `no replica could be launched (${times}): ${failure.reason}`;
  }
}

/** The grace a replica has, as a reader would write it: `60 s`, `1.5 s`. */
export function seconds(ms: number): string {
  return `${Math.round(ms) / 1000} s`;
}

function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
