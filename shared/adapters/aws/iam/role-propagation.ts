/**
 * A role just made or changed is not at once usable everywhere: IAM is eventually consistent
 * ("Changes that I make are not always immediately visible", Troubleshooting IAM, IAM User
 * Guide), and until ECS sees the new role it refuses a definition or task that names it with a
 * ClientException or InvalidParameterException saying it is "unable to assume the role" (or that
 * the role "is not valid"). Those refusals are worth a few more tries; anything else is not.
 */
import { errorMessage, isNamed } from '../sdk-errors.ts';

const ROLE_NOT_YET_USABLE = /unable to assume (the )?role|role .*is not valid|role is invalid|not authorized to perform: sts:AssumeRole/i;

/** ECS refused because a role it was given is not (yet) assumable. */
export function isRoleNotYetUsable(error: unknown): boolean {
  return isNamed(error, 'ClientException', 'InvalidParameterException') && ROLE_NOT_YET_USABLE.test(errorMessage(error));
}

/** The waits between tries: about 15 seconds in all, well inside a reaction's time. */
export const ROLE_PROPAGATION_DELAYS_MS = [1_000, 2_000, 4_000, 8_000];

export interface RolePropagationOptions {
  delaysMs?: number[];
  sleep?: (ms: number) => Promise<void>;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs `call`, trying again after each delay while ECS says a role is not yet usable; then gives its last refusal. */
export async function retryWhileRolePropagates<T>(call: () => Promise<T>, options: RolePropagationOptions = {}): Promise<T> {
  const delays = options.delaysMs ?? ROLE_PROPAGATION_DELAYS_MS;
  const sleep = options.sleep ?? realSleep;
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      const delay = delays[attempt];
      if (delay === undefined || !isRoleNotYetUsable(error)) throw error;
      await sleep(delay);
    }
  }
}
