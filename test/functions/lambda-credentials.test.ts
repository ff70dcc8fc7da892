import { afterEach, describe, expect, it } from 'vitest';
import { defaultProvider } from '../../functions/lambda-credentials.ts';

const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
});

describe("the Lambda bundles' credential provider", () => {
  it('reads the role credentials Lambda puts in the environment', async () => {
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret', AWS_SESSION_TOKEN: 'session' });
    await expect(defaultProvider()()).resolves.toMatchObject({ accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'secret', sessionToken: 'session' });
  });

  it('fails, saying so, without them', async () => {
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;
    await expect(defaultProvider()()).rejects.toThrow(/environment/i);
  });
});
