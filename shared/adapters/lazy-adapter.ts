/**
 * An adapter that is loaded the first time one of its methods is called. Lambda functions
 * wire their AWS adapters through this with a dynamic `import()`, and the bundler puts each
 * such import in a chunk of its own (infra/aws/platform-function.ts), so a cold start parses
 * and evaluates only the SDK clients of the work actually in front of it: a reactor batch
 * about a job run never loads the load-balancer, Cognito, EFS or Cloud Map clients.
 *
 * Only for ports whose every member is an async method, so that a call can wait for the load
 * without the caller knowing. A load that fails is tried again on the next call rather than
 * remembered: a chunk read can fail transiently, and the call's own retry should succeed.
 */
type AsyncMethods<T> = { [K in keyof T]: (...args: never[]) => Promise<unknown> };

/**
 * `load`, run at most once at a time and remembered once it succeeds: for a module that gives
 * several adapters (one client shared by them), each wrapped by `lazyAdapter`.
 */
export function loadOnce<T>(load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () => {
    loading ??= load().catch((error: unknown) => {
      loading = undefined;
      throw error;
    });
    return loading;
  };
}

export function lazyAdapter<T extends AsyncMethods<T>>(load: () => Promise<T>): T {
  const loaded = loadOnce(load);
  const methods = new Map<string, (...args: unknown[]) => Promise<unknown>>();
  return new Proxy({} as T, {
    get(_target, property) {
      // Not a thenable (`await adapter` must not call a method), and no symbols or inspection hooks.
      if (typeof property !== 'string' || property === 'then') return undefined;
      let method = methods.get(property);
      if (!method) {
        method = async (...args: unknown[]) => {
          const adapter = await loaded();
          const member = adapter[property as keyof T] as unknown;
          if (typeof member !== 'function') throw new TypeError(`the lazily loaded adapter has no method ${property}`);
          return (member as (...a: unknown[]) => Promise<unknown>).apply(adapter, args);
        };
        methods.set(property, method);
      }
      return method;
    },
  });
}
