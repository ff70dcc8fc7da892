/**
 * The recipe form's model: the common spec fields as text inputs, read from a spec and
 * written back into one (fields the form does not show are kept as they were). Each field
 * names the spec path the API reports its errors under, so an error lands at its input.
 */
import type { Kind } from './api-client.ts';

export interface FormField {
  key: string;
  /** The path the API's `details` use for this field. */
  path: string;
  label: string;
  kinds: Kind[];
  input: 'text' | 'number' | 'textarea' | 'size' | 'image';
  hint?: string;
  required?: boolean;
}

const ALL: Kind[] = ['workspace', 'deployment', 'job'];

export const FORM_FIELDS: FormField[] = [
  { key: 'name', path: 'spec.name', label: 'Name', kinds: ALL, input: 'text', required: true, hint: 'Lower-case letters, digits and -, at most 63.' },
  { key: 'description', path: 'spec.description', label: 'Description', kinds: ALL, input: 'text' },
  { key: 'image', path: 'spec.image', label: 'Image', kinds: ALL, input: 'image', hint: 'A catalog image (name:tag) or a full image URI.' },
  { key: 'instance_type', path: 'spec.instance_type', label: 'Size', kinds: ALL, input: 'size' },
  { key: 'command', path: 'spec.command', label: 'Command', kinds: ['deployment', 'job'], input: 'textarea', required: true, hint: 'Run by a shell. A deployment listens on $PORT.' },
  { key: 'scale', path: 'spec.scale', label: 'Replicas', kinds: ['deployment', 'job'], input: 'number' },
  { key: 'schedule', path: 'spec.schedule', label: 'Schedule (cron)', kinds: ['job'], input: 'text', hint: 'e.g. 0 6 * * 1-5 or @daily; empty: runs only when dispatched.' },
  { key: 'schedule_timezone', path: 'spec.schedule_timezone', label: 'Time zone', kinds: ['job'], input: 'text', hint: 'An IANA name such as Europe/Paris; default UTC.' },
  { key: 'environment_variables', path: 'spec.environment_variables', label: 'Environment variables', kinds: ALL, input: 'textarea', hint: 'One NAME=value per line.' },
  { key: 'git_repositories', path: 'spec.git_repositories', label: 'Git repositories', kinds: ALL, input: 'textarea', hint: 'One repository URL per line.' },
  { key: 'secrets', path: 'spec.secrets', label: 'Secrets', kinds: ALL, input: 'textarea', hint: 'One secret-name=ENV_VAR per line: the secret as that environment variable.' },
  { key: 'shared_folders', path: 'spec.shared_folders', label: 'Shared folders', kinds: ALL, input: 'textarea', hint: 'One folder-name=/home/jovyan/shared/path per line.' },
];

export type FormValues = Record<string, string>;

export function fieldsFor(kind: Kind): FormField[] {
  return FORM_FIELDS.filter((f) => f.kinds.includes(kind));
}

/** `NAME=value` lines as pairs; blank lines are skipped and a line without `=` is a name with an empty value. */
export function linePairs(text: string): Array<[string, string]> {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const eq = line.indexOf('=');
      return eq < 0 ? [line, ''] : [line.slice(0, eq).trim(), line.slice(eq + 1)];
    });
}

type Spec = Record<string, unknown>;

export function formValuesOf(spec: Spec): FormValues {
  const text = (v: unknown) => (v === undefined || v === null ? '' : String(v));
  const env = (spec.environment_variables ?? {}) as Record<string, string>;
  const repos = (spec.git_repositories ?? []) as Array<{ url: string }>;
  const secrets = (spec.secrets ?? []) as Array<{ name: string; location: string }>;
  const folders = (spec.shared_folders ?? []) as Array<{ name: string; path: string }>;
  return {
    name: text(spec.name),
    description: text(spec.description),
    image: text(spec.image),
    instance_type: text(spec.instance_type),
    command: text(spec.command),
    scale: text(spec.scale),
    schedule: text(spec.schedule),
    schedule_timezone: text(spec.schedule_timezone),
    environment_variables: Object.entries(env)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n'),
    git_repositories: repos.map((r) => r.url).join('\n'),
    secrets: secrets.map((s) => `${s.name}=${s.location}`).join('\n'),
    shared_folders: folders.map((f) => `${f.name}=${f.path}`).join('\n'),
  };
}

/** `base` with the form's fields written over it; an emptied field is removed so that its default applies. */
export function specFrom(kind: Kind, values: FormValues, base: Spec = {}): Spec {
  const spec: Spec = { ...base };
  const set = (key: string, value: unknown) => {
    if (value === '' || value === undefined) delete spec[key];
    else spec[key] = value;
  };
  for (const field of fieldsFor(kind)) {
    const raw = values[field.key] ?? '';
    switch (field.key) {
      case 'scale':
        set('scale', raw.trim() === '' ? undefined : Number(raw));
        break;
      case 'environment_variables':
        set(field.key, raw.trim() ? Object.fromEntries(linePairs(raw)) : undefined);
        break;
      case 'git_repositories': {
        const urls = raw.split('\n').map((l) => l.trim()).filter(Boolean);
        const known = new Map(((base.git_repositories ?? []) as Array<{ url: string }>).map((r) => [r.url, r]));
        set(field.key, urls.length ? urls.map((url) => known.get(url) ?? { url }) : undefined);
        break;
      }
      case 'secrets':
        set(field.key, raw.trim() ? linePairs(raw).map(([name, location]) => ({ name, attachment_type: 'environment_variable', location })) : undefined);
        break;
      case 'shared_folders':
        set(field.key, raw.trim() ? linePairs(raw).map(([name, path]) => ({ name, path })) : undefined);
        break;
      default:
        set(field.key, field.key === 'command' || field.key === 'description' ? raw : raw.trim());
    }
  }
  return spec;
}

/** An error's path belongs to a field when it is the field's path or lies under it (`spec.git_repositories[0].url`). */
export function fieldOfPath(kind: Kind, path: string): FormField | undefined {
  return fieldsFor(kind).find((f) => path === f.path || path.startsWith(`${f.path}.`) || path.startsWith(`${f.path}[`));
}
