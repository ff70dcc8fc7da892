/**
 * A recipe as a form of its common fields or as YAML. Saving sends it to the API as is; a
 * refusal's field errors are shown at the fields they name (in the YAML view, listed with
 * their paths), and nothing changes.
 */
import { useState } from 'preact/hooks';
import { ApiError, call, type Kind, type Recipe, type Size } from '../api-client.ts';
import { fieldOfPath, fieldsFor, formValuesOf, specFrom, type FormField, type FormValues } from '../recipe-form-model.ts';
import { usePoll } from '../use-poll.ts';
import { Field, fieldAria } from './field.tsx';
import { ErrorNotice } from './notice.tsx';
import { Tabs } from './tabs.tsx';

export const SCHEMA_VERSION = '2025.10.01';

interface Props {
  kind: Kind;
  /** The recipe being changed; absent when creating. */
  recipe?: Recipe;
  /** YAML to start the YAML view with (the recipe's own, fetched by the caller). */
  yaml?: string;
  onSaved(recipe: Recipe): void;
}

function SizeInput({ field, value, error, onInput }: { field: FormField; value: string; error?: string | undefined; onInput(value: string): void }) {
  const sizes = usePoll(() => call<{ sizes: Record<string, Size> }>('GET', '/api/info/servers'), 0);
  return (
    <select {...fieldAria(field.key, error)} value={value} onChange={(e) => onInput(e.currentTarget.value)}>
      <option value="">Default size</option>
      {Object.values(sizes.data?.sizes ?? {}).map((s) => (
        <option key={s.name} value={s.name}>
          {s.display_name} ({s.cores} CPU, {s.memory}
          {s.gpu ? `, ${s.gpu} GPU` : ''})
        </option>
      ))}
    </select>
  );
}

function ImageInput({ field, value, error, onInput }: { field: FormField; value: string; error?: string | undefined; onInput(value: string): void }) {
  const images = usePoll(() => call<{ images: Array<{ name: string; tags?: string[] }> }>('GET', '/api/images'), 0);
  const options = (images.data?.images ?? []).flatMap((i) => (i.tags?.length ? i.tags.map((t) => `${i.name}:${t}`) : [i.name]));
  return (
    <>
      <input {...fieldAria(field.key, error, field.hint)} list={`${field.key}-options`} value={value} onInput={(e) => onInput(e.currentTarget.value)} />
      <datalist id={`${field.key}-options`}>
        {options.map((o) => (
          <option key={o} value={o} />
        ))}
      </datalist>
    </>
  );
}

export function RecipeEditor({ kind, recipe, yaml, onSaved }: Props) {
  const [values, setValues] = useState<FormValues>(() => formValuesOf(recipe?.spec ?? {}));
  const [text, setText] = useState(yaml ?? '');
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const [view, setView] = useState<'form' | 'yaml'>('form');

  async function save(send: () => Promise<Recipe>) {
    setBusy(true);
    setError(undefined);
    try {
      onSaved(await send());
    } catch (failure) {
      setError(failure instanceof ApiError ? failure : new ApiError(0, 'error', String(failure)));
    } finally {
      setBusy(false);
    }
  }

  const method = recipe ? 'PUT' : 'POST';
  const path = recipe ? '/api/recipes' : '/api/recipes?enforce_unknown=true';
  const ifMatch = recipe ? { 'if-match': String(recipe.state.version) } : undefined;

  function submitForm(event: Event) {
    event.preventDefault();
    const body = { schema_version: recipe?.schema_version ?? SCHEMA_VERSION, type: kind, spec: specFrom(kind, values, recipe?.spec) };
    void save(() => call<Recipe>(method, path, { body, ...(ifMatch ? { headers: ifMatch } : {}) }));
  }

  function submitYaml(event: Event) {
    event.preventDefault();
    void save(() => call<Recipe>(method, path, { yaml: text, ...(ifMatch ? { headers: ifMatch } : {}) }));
  }

  const fields = fieldsFor(kind);
  const errorAt = (field: FormField) => (error ? error.details.filter((d) => fieldOfPath(kind, d.path) === field).map((d) => d.message).join('; ') || undefined : undefined);
  const elsewhere = error?.details.filter((d) => view === 'yaml' || !fieldOfPath(kind, d.path)) ?? [];

  const problems = (
    <ErrorNotice error={error}>
      {elsewhere.length > 0 && (
        <ul class="details">
          {elsewhere.map((d) => (
            <li key={d.path}>
              <code>{d.path}</code>: {d.message}
            </li>
          ))}
        </ul>
      )}
    </ErrorNotice>
  );

  const form = (
    <form class="form" onSubmit={submitForm} noValidate>
      {problems}
      <div class="form-grid">
        {fields.map((field) => {
          const fieldError = errorAt(field);
          const value = values[field.key] ?? '';
          const onInput = (v: string) => setValues({ ...values, [field.key]: v });
          const readOnly = field.key === 'name' && recipe !== undefined;
          return (
            <div key={field.key} class={field.input === 'textarea' ? 'span-2' : undefined}>
              <Field id={field.key} label={field.label} error={fieldError} {...(field.hint ? { hint: field.hint } : {})}>
                {field.input === 'size' ? (
                  <SizeInput field={field} value={value} error={fieldError} onInput={onInput} />
                ) : field.input === 'image' ? (
                  <ImageInput field={field} value={value} error={fieldError} onInput={onInput} />
                ) : field.input === 'textarea' ? (
                  <textarea {...fieldAria(field.key, fieldError, field.hint)} rows={3} value={value} onInput={(e) => onInput(e.currentTarget.value)} />
                ) : (
                  <input
                    {...fieldAria(field.key, fieldError, field.hint)}
                    type={field.input === 'number' ? 'number' : 'text'}
                    min={field.input === 'number' ? 1 : undefined}
                    required={field.required}
                    readOnly={readOnly}
                    value={value}
                    onInput={(e) => onInput(e.currentTarget.value)}
                  />
                )}
              </Field>
            </div>
          );
        })}
      </div>
      <div class="actions">
        <button class="button primary" type="submit" disabled={busy}>
          {busy ? 'Saving…' : recipe ? 'Save changes' : `Create ${kind}`}
        </button>
      </div>
    </form>
  );

  const yamlForm = (
    <form class="form" onSubmit={submitYaml}>
      {problems}
      <Field id="recipe-yaml" label={recipe ? 'Recipe (YAML)' : 'Paste a Saturn recipe (YAML or JSON)'} hint="schema_version, type and spec; state is ignored.">
        <textarea {...fieldAria('recipe-yaml', undefined, 'schema_version, type and spec; state is ignored.')} class="code" rows={18} spellcheck={false} value={text} onInput={(e) => setText(e.currentTarget.value)} />
      </Field>
      <div class="actions">
        <button class="button primary" type="submit" disabled={busy || text.trim() === ''}>
          {busy ? 'Applying…' : recipe ? 'Apply YAML' : 'Create from recipe'}
        </button>
      </div>
    </form>
  );

  return (
    <Tabs
      label="Recipe views"
      selected={view}
      onSelect={(id) => setView(id as 'form' | 'yaml')}
      tabs={[
        { id: 'form', label: 'Form', content: form },
        { id: 'yaml', label: recipe ? 'YAML' : 'Paste recipe', content: yamlForm },
      ]}
    />
  );
}
