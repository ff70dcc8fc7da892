/** The gateway container's first program (bundle-loader.ts): fetch, verify, run; any failure ends the container. */
import { loadGateway } from './bundle-loader.ts';

loadGateway(process.env).catch((error: unknown) => {
  console.error(JSON.stringify({ level: 'error', component: 'ssh-gateway', message: 'could not load the gateway code', error: String(error) }));
  process.exit(1);
});
