/**
 * fast-check arbitraries for API bodies: valid recipes of every type (every optional field
 * given in full, so what is sent is a subset of what is stored), cron expressions, and
 * mutations that break a valid body in the ways clients do.
 */
import fc from 'fast-check';
import { SIZE_NAMES } from '../../../shared/domain/sizes.ts';
import { AUTO_SHUTOFF_CHOICES, DISK_SPACE_CHOICES } from '../../../shared/domain/recipe/choices.ts';
import { CRON_RANGES } from '../../../shared/domain/schedule/cron-expression.ts';

type ResourceType = 'workspace' | 'deployment' | 'job';

export interface Recipe {
  schema_version?: string;
  type: ResourceType;
  spec: Record<string, unknown>;
  state?: unknown;
}

/** Names a few recipes share, so that generated applies update as well as create. */
const SHARED_NAMES = ['prop-a', 'prop-b', 'prop-c'] as const;

export const dnsLabel = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,20}[a-z0-9])?$/);
const text = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 });
const ownKey = fc.string({ minLength: 1, maxLength: 20 }).filter((k) => k !== '__proto__');
// `.` and `..` would name the home itself or leave it.
const path = fc.stringMatching(/^[a-zA-Z0-9._-]{1,20}$/).filter((p) => p !== '.' && p !== '..').map((p) => `/home/jovyan/${p}`);


function cronField([lo, hi]: readonly [number, number]): fc.Arbitrary<string> {
  const value = fc.integer({ min: lo, max: hi });
  const range = fc.tuple(value, value).map(([a, b]) => `${Math.min(a, b)}-${Math.max(a, b)}`);
  const step = fc.integer({ min: 1, max: hi });
  const part = fc.oneof(fc.constant('*'), value.map(String), range, step.map((s) => `*/${s}`), fc.tuple(range, step).map(([r, s]) => `${r}/${s}`));
  return fc.array(part, { minLength: 1, maxLength: 3 }).map((parts) => parts.join(','));
}

/** Five-field cron expressions (and macros) the platform accepts and computes fire times for. */
export const cronExpression = fc.oneof(
  fc.tuple(...CRON_RANGES.map(cronField)).map((fields) => fields.join(' ')),
  fc.constantFrom('@hourly', '@daily', '@weekly', '@monthly', '@yearly', '@annually', '@midnight', '0 9 * * MON-FRI', '*/15 * * * *'),
);

const gitRepository = fc.record({
  url: fc.stringMatching(/^[a-z0-9-]{1,12}$/).map((r) => `https://github.com/example/${r}.git`),
  path,
  reference: fc.stringMatching(/^[a-zA-Z0-9._/-]{1,20}$/),
  reference_type: fc.constantFrom('branch', 'tag', 'commit'),
  on_restart: fc.constantFrom('preserve changes', 'reclone'),
  public: fc.boolean(),
});

const route = fc.record({
  subdomain: dnsLabel,
  container_port: fc.integer({ min: 1, max: 65535 }),
  visibility: fc.constantFrom('owner', 'org', 'unauthenticated'),
});

const viewer = fc.oneof(dnsLabel, fc.record({ name: dnsLabel, type: fc.constantFrom('user', 'group') }));

const packageList = fc.oneof(
  fc.array(fc.stringMatching(/^[a-z][a-z0-9_.=<>-]{0,20}$/), { minLength: 1, maxLength: 4 }),
  fc.stringMatching(/^[a-z][a-z0-9 ]{0,30}$/),
  fc.record({ install: fc.stringMatching(/^[a-z][a-z0-9 ]{0,30}$/), channels: fc.array(dnsLabel, { minLength: 1, maxLength: 2 }) }),
);

const commonFields = {
  owner: fc.constantFrom('admin', 'acme/admin'),
  description: text,
  tags: fc.dictionary(ownKey, fc.string({ maxLength: 20 }), { minKeys: 1, maxKeys: 3 }),
  image: fc.constantFrom('docker.io/library/python:3.12', 'ghcr.io/example/app:1.0', 'pytorch:2.3'),
  instance_type: fc.constantFrom(...SIZE_NAMES),
  environment_variables: fc.dictionary(fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,15}$/), fc.string({ unit: 'grapheme', maxLength: 30 }), {
    minKeys: 1,
    maxKeys: 4,
  }),
  working_directory: path,
  start_script: text,
  git_repositories: fc.array(gitRepository, { minLength: 1, maxLength: 2 }),
  secrets: fc.array(
    fc.oneof(
      fc.record({ name: dnsLabel, attachment_type: fc.constant('environment_variable'), location: fc.stringMatching(/^[A-Z_][A-Z_a-z0-9]{0,19}$/) }),
      fc.record({ name: dnsLabel, attachment_type: fc.constant('file'), location: path }),
    ),
    { minLength: 1, maxLength: 3 },
  ),
  shared_folders: fc.array(fc.record({ name: dnsLabel, path }), { minLength: 1, maxLength: 2 }),
  dask_cluster: fc.record(
    {
      num_workers: fc.integer({ min: 0, max: 500 }),
      scheduler: fc.record({ instance_type: fc.constantFrom(...SIZE_NAMES) }),
      worker: fc.record({
        instance_type: fc.constantFrom(...SIZE_NAMES),
        num_processes: fc.integer({ min: 1, max: 256 }),
        num_threads: fc.integer({ min: 1, max: 256 }),
        use_spot_instances: fc.boolean(),
      }),
    },
    { requiredKeys: ['num_workers'] },
  ),
  use_spot_instance: fc.boolean(),
  extra_packages: fc.record({ pip: packageList, conda: packageList, apt: packageList, cran: packageList, use_mamba: fc.boolean() }, { requiredKeys: ['pip'] }),
  config_files: fc.dictionary(path, fc.record({ content: fc.string({ unit: 'grapheme', maxLength: 60 }), mode: fc.constantFrom('0644', '600', 420) }), {
    minKeys: 1,
    maxKeys: 2,
  }),
  token_scope: fc.stringMatching(/^[a-z:]{1,20}$/),
  start_dind: fc.constant(false),
  iam_role: dnsLabel,
};

const command = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 });
const scale = fc.integer({ min: 1, max: 100 });

const specByType = {
  workspace: fc.record(
    {
      ...commonFields,
      ide: fc.constantFrom('jupyter', 'rstudio'),
      disk_space: fc.constantFrom(...DISK_SPACE_CHOICES),
      auto_shutoff: fc.constantFrom(...AUTO_SHUTOFF_CHOICES),
      start_ssh: fc.boolean(),
      routes: fc.array(route, { minLength: 1, maxLength: 2 }),
      viewers: fc.array(viewer, { minLength: 1, maxLength: 3 }),
      command,
    },
    { requiredKeys: [] },
  ),
  deployment: fc.record(
    {
      ...commonFields,
      command,
      scale,
      healthcheck: fc.stringMatching(/^[a-z0-9/_-]{0,20}$/).map((p) => `/${p}`),
      subdomain: dnsLabel,
      routes: fc.array(route, { minLength: 1, maxLength: 2 }),
      viewers: fc.array(viewer, { minLength: 1, maxLength: 3 }),
    },
    { requiredKeys: ['command'] },
  ),
  job: fc.record(
    {
      ...commonFields,
      command,
      scale,
      schedule: cronExpression,
      concurrency_policy: fc.constantFrom('Allow', 'Forbid', 'Replace'),
      retries: fc.integer({ min: 0, max: 100 }),
      schedule_timezone: fc.constantFrom('UTC', 'Europe/Paris', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe'),
      timeout: fc.oneof(fc.integer({ min: 1, max: 86_400 }), fc.constantFrom('90m', '1h30m', '2d', '45s')),
    },
    { requiredKeys: ['command'] },
  ),
};

/** A recipe the platform must accept, owned by the caller (`admin`) or its `<org>/admin` form. */
export const validRecipe: fc.Arbitrary<Recipe> = fc
  .record({
    type: fc.constantFrom<ResourceType>('workspace', 'deployment', 'job'),
    name: fc.oneof(fc.constantFrom(...SHARED_NAMES), dnsLabel),
    schema_version: fc.option(fc.constantFrom('2025.10.01', '2024.04.01', '2023.09.01'), { nil: undefined }),
  })
  .chain(({ type, name, schema_version }) =>
    specByType[type].map((spec) => ({ ...(schema_version ? { schema_version } : {}), type, spec: { name, ...spec } })),
  );

/** Any value a client might put where a field belongs. */
export const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue(),
  fc.constantFrom(null, '', [], {}, 0, -1, 1.5, true, 'x'.repeat(70_000), '*/0 * * * *', '5-1 * * * *', '0/5 * * * *', '* * * *', '../../etc/passwd', 'Robert"); DROP TABLE'),
  fc.string({ unit: 'binary', maxLength: 30 }),
  cronExpression,
  fc.double(),
);

const SPEC_FIELDS = [
  'name',
  'owner',
  'command',
  'scale',
  'schedule',
  'schedule_timezone',
  'timeout',
  'retries',
  'concurrency_policy',
  'instance_type',
  'image',
  'environment_variables',
  'git_repositories',
  'secrets',
  'routes',
  'dask_cluster',
  'extra_packages',
  'config_files',
  'start_dind',
  'ide',
  'disk_space',
  'auto_shutoff',
  'healthcheck',
  'subdomain',
  'viewers',
  'tags',
];

interface Mutation {
  level: 'envelope' | 'spec' | 'nested';
  key: string;
  /** `undefined` deletes the key. */
  value: unknown;
}

const mutation: fc.Arbitrary<Mutation> = fc.record({
  level: fc.constantFrom('envelope', 'spec', 'spec', 'nested'),
  key: fc.oneof(fc.constantFrom(...SPEC_FIELDS, 'type', 'spec', 'schema_version', 'state', 'url', 'num_workers'), ownKey),
  value: fc.oneof(anyValue, fc.constant(undefined)),
});

function setOrDelete(target: Record<string, unknown>, key: string, value: unknown): void {
  if (value === undefined) delete target[key];
  else Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Applies mutations to a deep copy of a body: at the top, in `spec`, or in a nested object of `spec`. */
function mutate(body: Record<string, unknown>, mutations: Mutation[]): Record<string, unknown> {
  const copy = structuredClone(body);
  for (const m of mutations) {
    const spec = isObject(copy.spec) ? copy.spec : undefined;
    if (m.level === 'envelope' || !spec) {
      setOrDelete(copy, m.key, m.value);
    } else if (m.level === 'spec') {
      setOrDelete(spec, m.key, m.value);
    } else {
      const nested = Object.values(spec)
        .flatMap((v) => (Array.isArray(v) ? v : [v]))
        .find(isObject);
      setOrDelete(nested ?? spec, m.key, m.value);
    }
  }
  return copy;
}

/** A valid recipe with up to three mutations: about a quarter stay valid. */
export const mutatedRecipe = fc.tuple(validRecipe, fc.array(mutation, { minLength: 0, maxLength: 3 })).map(([recipe, mutations]) =>
  mutate(recipe as unknown as Record<string, unknown>, mutations),
);
