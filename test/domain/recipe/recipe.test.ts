import { describe, expect, it } from 'vitest';
import { ValidationError, type FieldIssue } from '../../../shared/domain/errors.ts';
import { CURRENT_SCHEMA_VERSION, defaultSubdomain, parseRecipe, type RecipeContext } from '../../../shared/domain/recipe/recipe.ts';
import { resolveOwnerName } from '../../../shared/domain/recipe/owner-name.ts';
import { DEFAULT_IMAGES } from '../../../shared/domain/recipe/default-images.ts';
import { typedRecipe } from '../support/typed-recipe.ts';

const caller: RecipeContext = { caller: 'ann' };

function job(spec: Record<string, unknown> = {}, envelope: Record<string, unknown> = {}) {
  return { schema_version: CURRENT_SCHEMA_VERSION, type: 'job' as const, spec: { name: 'train', command: 'python train.py', ...spec }, ...envelope };
}
function workspace(spec: Record<string, unknown> = {}) {
  return { schema_version: CURRENT_SCHEMA_VERSION, type: 'workspace' as const, spec: { name: 'lab', ...spec } };
}
function deployment(spec: Record<string, unknown> = {}) {
  return { schema_version: CURRENT_SCHEMA_VERSION, type: 'deployment' as const, spec: { name: 'api', command: 'uvicorn app:app', ...spec } };
}

/** The field issues parseRecipe reports for a body it refuses. */
function issuesOf(body: unknown, context: RecipeContext = caller): FieldIssue[] {
  try {
    parseRecipe(body, context);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).details;
  }
  throw new Error('expected the recipe to be refused');
}
function pathsOf(body: unknown, context: RecipeContext = caller): string[] {
  return issuesOf(body, context).map((i) => i.path);
}

describe('parseRecipe', () => {
  describe('unknown fields', () => {
    it('names an unknown field of the spec by its path', () => {
      expect(pathsOf(job({ colour: 'blue' }))).toEqual(['spec.colour']);
    });

    it('reports a "__proto__" key as an unknown field rather than dropping it', () => {
      const body = JSON.parse('{"type": "job", "spec": {"name": "a", "command": "x", "__proto__": {"scale": 2}}}');
      expect(pathsOf(body)).toEqual(['spec.__proto__']);
    });

    it('names an unknown field inside a list by its dotted path with the index', () => {
      const body = workspace({ git_repositories: [{ url: 'https://github.com/a/b.git' }, { url: 'https://github.com/a/c.git', foo: 1 }] });
      expect(issuesOf(body)).toEqual([{ path: 'spec.git_repositories[1].foo', message: 'unknown field' }]);
    });

    it('names unknown fields in nested objects and in the envelope', () => {
      expect(pathsOf(job({ dask_cluster: { num_workers: 1, worker: { gpus: 2 } } }))).toEqual(['spec.dask_cluster.worker.gpus']);
      expect(pathsOf(job({}, { metadata: {} }))).toEqual(['metadata']);
    });

    it('names every bad field at once, and says so in the message', () => {
      // Act
      let error: unknown;
      try {
        parseRecipe(job({ colour: 'blue', scale: 0 }), caller);
      } catch (e) {
        error = e;
      }

      // Assess
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).details.map((d) => d.path).sort()).toEqual(['spec.colour', 'spec.scale']);
      expect((error as Error).message).toContain('spec.colour');
    });

    it('refuses a field that belongs to another type', () => {
      expect(pathsOf(workspace({ schedule: '@daily' }))).toEqual(['spec.schedule']);
      expect(pathsOf(job({ ide: 'jupyter' }))).toEqual(['spec.ide']);
    });
  });

  describe('envelope', () => {
    it('refuses a body that is not an object', () => {
      for (const body of [null, 'recipe', [job()], 42]) expect(() => parseRecipe(body, caller)).toThrow(ValidationError);
    });

    it('refuses an unknown type', () => {
      expect(pathsOf({ type: 'notebook', spec: { name: 'x' } })).toEqual(['type']);
    });

    it('ignores the read-only state', () => {
      expect(parseRecipe(job({}, { state: { id: 'abc', status: 'running' } }), caller).spec.name).toBe('train');
    });

    it('accepts a recipe without schema_version, and older layouts from 2023.09.01 on', () => {
      for (const version of [undefined, '2023.09.01', '2024.04.01', CURRENT_SCHEMA_VERSION]) {
        const body = version === undefined ? { type: 'job', spec: job().spec } : job({}, { schema_version: version });
        expect(parseRecipe(body, caller).type).toBe('job');
      }
    });

    it('refuses layouts older than 2023.09.01, newer than the current one, or not date-like', () => {
      for (const version of ['2023.01.01', '2023.08.31', '2099.01.01', '2025.10.02', 'latest', '2025-10-01']) {
        expect(new Set(pathsOf(job({}, { schema_version: version })))).toEqual(new Set(['schema_version']));
      }
    });
  });

  describe('names and owners', () => {
    it('accepts DNS labels as names', () => {
      for (const name of ['a', 'train-2', '0x', 'a'.repeat(63)]) expect(parseRecipe(job({ name }), caller).spec.name).toBe(name);
    });

    it('refuses names that are not DNS labels', () => {
      for (const name of ['Train', 'my_job', '-train', 'train-', 'a.b', 'a'.repeat(64), 'ü']) {
        expect(pathsOf(job({ name }))).toEqual(['spec.name']);
      }
    });

    it('requires a name', () => {
      expect(issuesOf({ type: 'job', spec: { command: 'x' } })).toEqual([{ path: 'spec.name', message: 'is required' }]);
      expect(pathsOf({ type: 'job' })).toContain('spec.name');
    });

    it('makes the caller the owner when the recipe names none', () => {
      expect(parseRecipe(job(), caller).spec.owner).toBe('ann');
      expect(parseRecipe(job({ owner: null }), caller).spec.owner).toBe('ann');
    });

    it('keeps a named owner and reads <org>/<name> as the name', () => {
      expect(parseRecipe(job({ owner: 'ml' }), caller).spec.owner).toBe('ml');
      expect(parseRecipe(job({ owner: 'acme/ml' }), caller).spec.owner).toBe('ml');
      expect(resolveOwnerName('a/b/c')).toBe('c');
    });

    it('refuses an owner that is not a user or group name', () => {
      expect(pathsOf(job({ owner: 'acme/ML Team' }))).toEqual(['spec.owner']);
      expect(pathsOf(job({ owner: 'acme/' }))).toEqual(['spec.owner']);
    });
  });

  describe('absent values', () => {
    it('reads null, "", [] and {} as absent, so defaults apply', () => {
      // Act
      const { spec } = typedRecipe(
        job({ description: '', secrets: [], tags: {}, schedule: null, image: null, scale: null, git_repositories: [], environment_variables: {} }),
        caller,
      );

      // Assess
      expect(spec).not.toHaveProperty('description');
      expect(spec).not.toHaveProperty('secrets');
      expect(spec).not.toHaveProperty('tags');
      expect(spec).not.toHaveProperty('schedule');
      expect(spec).not.toHaveProperty('git_repositories');
      expect(spec).not.toHaveProperty('environment_variables');
      expect(spec.image).toBe(DEFAULT_IMAGES.command);
      expect(spec.scale).toBe(1);
    });

    it('reads absent values inside nested objects as absent too', () => {
      const { spec } = parseRecipe(workspace({ git_repositories: [{ url: 'https://github.com/a/b.git', reference: null, path: '' }] }), caller);
      expect(spec.git_repositories).toEqual([{ url: 'https://github.com/a/b.git', path: '/home/jovyan/workspace/b', on_restart: 'preserve changes' }]);
    });

    it('keeps empty strings that are user data: environment variable and tag values', () => {
      const { spec } = parseRecipe(job({ environment_variables: { EMPTY: '' }, tags: { team: '' } }), caller);
      expect(spec.environment_variables).toEqual({ EMPTY: '' });
      expect(spec.tags).toEqual({ team: '' });
    });

    it('reads null fields of a config file as absent but keeps its empty content', () => {
      const { spec } = parseRecipe(job({ config_files: { '/home/jovyan/app.conf': { content: '', mode: null } } }), caller);
      expect(spec.config_files).toEqual({ '/home/jovyan/app.conf': { content: '' } });
    });

    it('reads a null schema_version as absent', () => {
      expect(parseRecipe({ schema_version: null, type: 'job', spec: { name: 'a', command: 'x' } }, caller).type).toBe('job');
    });

    it('still requires a required field given as null', () => {
      expect(issuesOf(job({ command: null }))).toEqual([{ path: 'spec.command', message: 'is required' }]);
    });
  });

  describe('defaults', () => {
    it('gives every type the medium size unless one is named', () => {
      expect(parseRecipe(job(), caller).spec.instance_type).toBe('medium');
      expect(parseRecipe(workspace(), caller).spec.instance_type).toBe('medium');
      expect(parseRecipe(deployment({ instance_type: 'g5xlarge' }), caller).spec.instance_type).toBe('g5xlarge');
    });

    it('refuses a size that is not in the catalog', () => {
      expect(pathsOf(job({ instance_type: 'huge' }))).toEqual(['spec.instance_type']);
    });

    it('completes a job', () => {
      expect(parseRecipe(job(), caller).spec).toEqual({
        name: 'train',
        owner: 'ann',
        command: 'python train.py',
        instance_type: 'medium',
        image: DEFAULT_IMAGES.command,
        scale: 1,
        concurrency_policy: 'Allow',
        retries: 0,
        schedule_timezone: 'UTC',
      });
    });

    it('keeps what a job sets', () => {
      const { spec } = parseRecipe(
        job({ scale: 3, concurrency_policy: 'Forbid', retries: 2, schedule: '*/15 * * * *', schedule_timezone: 'Europe/Paris', timeout: '90m' }),
        caller,
      );
      expect(spec).toMatchObject({ scale: 3, concurrency_policy: 'Forbid', retries: 2, schedule: '*/15 * * * *', schedule_timezone: 'Europe/Paris', timeout: '90m' });
    });

    it('completes a deployment, with the subdomain <name>-<owner>', () => {
      expect(parseRecipe(deployment({ owner: 'acme/ml' }), caller).spec).toEqual({
        name: 'api',
        owner: 'ml',
        command: 'uvicorn app:app',
        instance_type: 'medium',
        image: DEFAULT_IMAGES.command,
        scale: 1,
        healthcheck: '/',
        subdomain: 'api-ml',
      });
    });

    it('cuts a long default subdomain to a DNS label', () => {
      const subdomain = defaultSubdomain('a'.repeat(40), 'b'.repeat(40));
      expect(subdomain.length).toBeLessThanOrEqual(63);
      expect(subdomain).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
      expect(defaultSubdomain('a'.repeat(62), 'b')).toBe('a'.repeat(62));
    });

    it('completes a workspace with the jupyter image', () => {
      expect(parseRecipe(workspace(), caller).spec).toEqual({
        name: 'lab',
        owner: 'ann',
        instance_type: 'medium',
        ide: 'jupyter',
        image: DEFAULT_IMAGES.jupyter,
        auto_shutoff: '1 hour',
        disk_space: '10Gi',
      });
    });

    it('gives an rstudio workspace the rstudio image, and keeps a named image', () => {
      expect(parseRecipe(workspace({ ide: 'rstudio' }), caller).spec.image).toBe(DEFAULT_IMAGES.rstudio);
      expect(parseRecipe(workspace({ ide: 'rstudio', image: 'example.com/r:1' }), caller).spec.image).toBe('example.com/r:1');
    });

    it('refuses auto_shutoff and disk_space values that are not offered', () => {
      expect(pathsOf(workspace({ auto_shutoff: '2 hours', disk_space: '15Gi' })).sort()).toEqual(['spec.auto_shutoff', 'spec.disk_space']);
    });

    it('gives git repositories a path, an on_restart policy, and a reference type when a reference is named', () => {
      const { spec } = parseRecipe(
        workspace({ git_repositories: [{ url: 'git@github.com:acme/models.git', reference: 'v1' }, { url: 'https://github.com/acme/tools/', path: '/data/tools' }] }),
        caller,
      );
      expect(spec.git_repositories).toEqual([
        { url: 'git@github.com:acme/models.git', reference: 'v1', reference_type: 'branch', path: '/home/jovyan/workspace/models', on_restart: 'preserve changes' },
        { url: 'https://github.com/acme/tools/', path: '/data/tools', on_restart: 'preserve changes' },
      ]);
    });

    it('gives routes owner visibility', () => {
      const { spec } = typedRecipe(deployment({ routes: [{ container_port: 8080 }] }), caller);
      expect(spec.routes).toEqual([{ container_port: 8080, visibility: 'owner' }]);
    });
  });

  describe('required command', () => {
    it.each([['job'], ['deployment']])('requires spec.command on a %s', (type) => {
      expect(issuesOf({ type, spec: { name: 'x' } })).toEqual([{ path: 'spec.command', message: 'is required' }]);
    });

    it('does not require a command on a workspace', () => {
      expect(parseRecipe(workspace(), caller).spec).not.toHaveProperty('command');
    });
  });

  describe('policy', () => {
    it('refuses start_dind: true unless the platform enables Docker-in-Docker', () => {
      expect(pathsOf(job({ start_dind: true }))).toEqual(['spec.start_dind']);
      expect(parseRecipe(job({ start_dind: true }), { caller: 'ann', dindEnabled: true }).spec.start_dind).toBe(true);
      expect(parseRecipe(job({ start_dind: false }), caller).spec.start_dind).toBe(false);
    });
  });

  describe('job schedule fields', () => {
    it('accepts cron expressions and macros', () => {
      for (const schedule of ['0 * * * *', '*/5 9-17 * * mon-fri', '0 0 1 jan,jul *', '0 0 ? * 0', '@daily', '@hourly']) {
        expect(typedRecipe(job({ schedule }), caller).spec.schedule).toBe(schedule);
      }
    });

    it('refuses invalid cron expressions at spec.schedule', () => {
      for (const schedule of ['0 * * *', '60 * * * *', '@every 5m', '? * * * *']) {
        expect(pathsOf(job({ schedule }))).toEqual(['spec.schedule']);
      }
    });

    it('accepts durations as seconds or as 90m and 1h30m, and refuses others', () => {
      for (const timeout of [3600, '3600', '90m', '1h30m']) expect(typedRecipe(job({ timeout }), caller).spec.timeout).toBe(timeout);
      for (const timeout of [0, -5, 1.5, '1.5h', 'soon', '0m']) expect(pathsOf(job({ timeout }))).toEqual(['spec.timeout']);
    });

    it('accepts IANA time zones and refuses others', () => {
      expect(typedRecipe(job({ schedule_timezone: 'America/New_York' }), caller).spec.schedule_timezone).toBe('America/New_York');
      expect(pathsOf(job({ schedule_timezone: 'Mars/Olympus_Mons' }))).toEqual(['spec.schedule_timezone']);
    });
  });

  describe('ranges (issue 19, finding 8)', () => {
    it.each([['99999999999999999999h'], ['366d'], [31_536_001], [1e300], ['99999999999999999999']])('refuses a timeout past a year: %j', (timeout) => {
      expect(issuesOf(job({ timeout }))).toEqual([{ path: 'spec.timeout', message: expect.stringContaining('at most 365 days') }]);
    });

    it('accepts a timeout of exactly a year', () => {
      expect(typedRecipe(job({ timeout: '365d' }), caller).spec.timeout).toBe('365d');
    });

    it.each([
      ['scale', 0, 'must be at least 1'],
      ['scale', 101, 'must be at most 100'],
      ['retries', -1, 'must be at least 0'],
      ['retries', 101, 'must be at most 100'],
    ])('refuses %s: %j with its range', (field, value, message) => {
      expect(issuesOf(job({ [field]: value }))).toEqual([{ path: `spec.${field}`, message }]);
    });
  });

  describe('type errors say what type (issue 19, finding 11)', () => {
    it('says an integer field must be an integer', () => {
      expect(issuesOf(job({ scale: 100.0000001 }))).toEqual([{ path: 'spec.scale', message: 'must be an integer, not a number with a fraction' }]);
    });

    it('says a text field must be a string, without quoting the value', () => {
      expect(issuesOf(job({ description: 123 }))).toEqual([{ path: 'spec.description', message: 'must be a string, not a number' }]);
    });

    it('names the type of values inside maps and lists too', () => {
      expect(issuesOf(job({ environment_variables: { TOKEN: 42 }, git_repositories: 'x', use_spot_instance: 'yes' }))).toEqual(
        expect.arrayContaining([
          { path: 'spec.environment_variables.TOKEN', message: 'must be a string, not a number' },
          { path: 'spec.git_repositories', message: 'must be a list, not a string' },
          { path: 'spec.use_spot_instance', message: 'must be true or false, not a string' },
        ]),
      );
    });

    it('keeps "is required" for a field that is absent', () => {
      expect(issuesOf({ type: 'job', spec: { name: 'a' } })).toEqual([{ path: 'spec.command', message: 'is required' }]);
    });
  });

  describe('paths and names checked at apply, not at run (issue 19, finding 11)', () => {
    const secret = (attachment_type: string, location: string) => ({ secrets: [{ name: 's', attachment_type, location }] });

    it.each(['/etc/cron.d/x', '../../etc/passwd', '/home/jovyan/../other/x', '/home/jovyanx/x'])('refuses a secret file outside the home: %s', (location) => {
      expect(issuesOf(job(secret('file', location)))).toEqual([{ path: 'spec.secrets[0].location', message: expect.stringContaining('under /home/jovyan') }]);
    });

    it.each(['/home/jovyan/.aws/credentials', '.ssh/id_ed25519', '~/.ssh/id_rsa', 'work/../key'])('accepts a secret file under the home: %s', (location) => {
      expect(parseRecipe(job(secret('file', location)), caller).spec.secrets).toHaveLength(1);
    });

    it.each(['1TOKEN', 'API-KEY', 'A B', ''])('refuses a secret attached as the variable %j, which no shell can name', (location) => {
      expect(pathsOf(job(secret('environment_variable', location)))).toEqual(['spec.secrets[0].location']);
    });

    it('refuses a config file outside the home, naming the key and why', () => {
      expect(issuesOf(job({ config_files: { '/etc/app.conf': { content: 'x' }, '/home/jovyan/ok.conf': { content: 'y' } } }))).toEqual([
        { path: 'spec.config_files./etc/app.conf', message: expect.stringContaining('under /home/jovyan') },
      ]);
    });

    it('says why an environment variable name is refused', () => {
      expect(issuesOf(job({ environment_variables: { 'BAD-NAME': 'x' } }))).toEqual([
        { path: 'spec.environment_variables.BAD-NAME', message: expect.stringContaining('must be an environment variable name') },
      ]);
    });
  });
});
