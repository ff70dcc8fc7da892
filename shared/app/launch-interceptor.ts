/**
 * A task driver whose `launch` first passes each spec through a step (which may change it, or
 * throw to refuse the launch); every other member is the driver's own. How the platform adds to
 * every launch without each runtime knowing: a Dask scheduler's address, an access check.
 */
import type { TaskDriver, TaskSpec } from '../ports/task-driver.ts';

export function interceptLaunch<D extends Pick<TaskDriver, 'launch'>>(driver: D, beforeLaunch: (spec: TaskSpec) => Promise<TaskSpec>): D {
  const launch = async (spec: TaskSpec) => driver.launch(await beforeLaunch(spec));
  return new Proxy(driver, {
    get(target, property) {
      if (property === 'launch') return launch;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
