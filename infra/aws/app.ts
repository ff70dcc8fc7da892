/**
 * Entry point of the CDK app (cdk.json runs it with tsx): `npm run synth`, `npm run deploy`.
 * A wrong parameter or an unacknowledged cdk-nag finding ends it with a non-zero exit code.
 */
import { createCassiniApp } from './cassini-app.ts';
import { ConfigError } from './config.ts';

try {
  createCassiniApp().app.synth();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`Cassini: ${error.message}`);
  process.exit(1);
}
