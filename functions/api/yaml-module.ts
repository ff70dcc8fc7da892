/**
 * The YAML library, loaded with the first request that reads or writes YAML (recipes sent as
 * YAML, `?format=yaml` exports). It is a sixth of the API's bundle, and the bundler puts it in a
 * chunk of its own (infra/aws/function-bundle.ts), so the API's cold start does not parse it.
 */
import { loadOnce } from '../../shared/adapters/lazy-adapter.ts';

export const yamlModule = loadOnce(() => import('yaml'));
