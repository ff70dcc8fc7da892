import { describe, expect, it } from 'vitest';
import { lazyAdapter } from '../../shared/adapters/lazy-adapter.ts';

interface Greeter {
  greet(name: string): Promise<string>;
  count(): Promise<number>;
}

class RealGreeter implements Greeter {
  private calls = 0;
  constructor(private readonly greeting: string) {}
  async greet(name: string): Promise<string> {
    this.calls++;
    return `${this.greeting}, ${name}`;
  }
  async count(): Promise<number> {
    return this.calls;
  }
}

describe('lazyAdapter', () => {
  it('loads nothing until a method is called, then loads once and calls the real adapter with its own `this`', async () => {
    let loads = 0;
    const greeter = lazyAdapter<Greeter>(async () => {
      loads++;
      return new RealGreeter('hello');
    });
    expect(loads).toBe(0);
    const [a, b] = await Promise.all([greeter.greet('ada'), greeter.greet('bob')]);
    expect([a, b]).toEqual(['hello, ada', 'hello, bob']);
    expect(await greeter.count()).toBe(2);
    expect(loads).toBe(1);
  });

  it('is not a thenable, so awaiting or returning it from an async function does not call it', async () => {
    let loads = 0;
    const greeter = lazyAdapter<Greeter>(async () => {
      loads++;
      return new RealGreeter('hi');
    });
    const same = await (async () => greeter)();
    expect(same).toBe(greeter);
    expect(loads).toBe(0);
  });

  it('tries a failed load again on the next call, and passes the failure to the caller', async () => {
    let attempts = 0;
    const greeter = lazyAdapter<Greeter>(async () => {
      attempts++;
      if (attempts === 1) throw new Error('chunk read failed');
      return new RealGreeter('hey');
    });
    await expect(greeter.greet('ada')).rejects.toThrow('chunk read failed');
    await expect(greeter.greet('ada')).resolves.toBe('hey, ada');
    expect(attempts).toBe(2);
  });

  it('refuses a method the loaded adapter lacks with a clear error', async () => {
    const greeter = lazyAdapter<Greeter>(async () => ({ greet: async (name: string) => name }) as unknown as Greeter);
    await expect(greeter.count()).rejects.toThrow('the lazily loaded adapter has no method count');
  });
});
