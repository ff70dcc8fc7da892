/**
 * One catalog collection (secrets, images, shared folders, IAM roles, ...): its objects as a
 * table with a delete per row, and a form to add one whose fields show the API's errors. New
 * collections (the API grows) are a `CatalogTable` with their fields.
 */
import { DataTable } from './data-table.tsx';
import { useState } from 'preact/hooks';
import { call } from '../api-client.ts';
import { usePoll } from '../use-poll.ts';
import { useAction } from '../use-action.ts';
import { Field, fieldAria } from './field.tsx';
import { EmptyState, ErrorNotice, Loading } from './notice.tsx';
import { ConfirmButton } from './confirm-button.tsx';

export interface CatalogInput {
  key: string;
  label: string;
  type?: 'text' | 'password';
  hint?: string;
  /** Turns the text into the body's value (lists, ...). */
  parse?: (text: string) => unknown;
}

export interface CatalogTableProps {
  /** `secrets`: the API's `/api/secrets`, and the list's key. */
  plural: string;
  singular: string;
  columns: Array<{ key: string; label: string }>;
  inputs: CatalogInput[];
  note?: string;
}

type Item = Record<string, unknown> & { name: string; owner?: string };

function shown(value: unknown): string {
  if (value === undefined || value === null || value === '') return '—';
  return Array.isArray(value) ? value.join(', ') : String(value);
}

export function CatalogTable({ plural, singular, columns, inputs, note }: CatalogTableProps) {
  const list = usePoll(() => call<Record<string, Item[]>>('GET', `/api/${plural}`).then((r) => r[plural] ?? []), 0, [plural]);
  const [values, setValues] = useState<Record<string, string>>({});
  const action = useAction();
  const { error, busy } = action;

  function add(event: Event) {
    event.preventDefault();
    void action.run(async () => {
      const body: Record<string, unknown> = {};
      for (const input of inputs) {
        const text = values[input.key] ?? '';
        if (input.key !== 'name' && text.trim() !== '') body[input.key] = input.parse ? input.parse(text) : text;
      }
      await call('PUT', `/api/${plural}/${encodeURIComponent((values.name ?? '').trim())}`, { body });
      setValues({});
      list.reload();
    });
  }

  function remove(item: Item) {
    void action.run(async () => {
      await call('DELETE', `/api/${plural}/${encodeURIComponent(item.name)}${item.owner ? `?owner_name=${encodeURIComponent(item.owner)}` : ''}`);
      list.reload();
    });
  }

  const at = (key: string) => error?.at(key === 'name' ? 'path.name' : key) ?? error?.at(`body.${key}`);
  return (
    <div class="stack">
      {note && <p class="muted">{note}</p>}
      <ErrorNotice error={list.error} />
      {list.loading && !list.data ? (
        <Loading what={plural} />
      ) : !list.data?.length ? (
        <EmptyState title={`No ${singular}s yet.`} />
      ) : (
        <DataTable caption={plural} columns={[...columns.map((c) => c.label), { label: 'Actions', hidden: true }]}>
              {list.data.map((item) => (
                <tr key={`${item.owner ?? ''}/${item.name}`}>
                  {columns.map((c) => (
                    <td key={c.key}>{shown(item[c.key])}</td>
                  ))}
                  <td>
                    <ConfirmButton label="Delete" danger confirmLabel="Delete" question={`Delete the ${singular} ${item.name}?`} onConfirm={() => remove(item)} />
                  </td>
                </tr>
              ))}
        </DataTable>
      )}
      <form class="card form" onSubmit={add} aria-label={`Add a ${singular}`}>
        <h2>Add a {singular}</h2>
        <ErrorNotice error={error} />
        <div class="form-grid">
          {inputs.map((input) => {
            const id = `${plural}-${input.key}`;
            return (
              <Field key={input.key} id={id} label={input.label} error={at(input.key)} {...(input.hint ? { hint: input.hint } : {})}>
                <input {...fieldAria(id, at(input.key), input.hint)} type={input.type ?? 'text'} autoComplete="off" value={values[input.key] ?? ''} onInput={(e) => setValues({ ...values, [input.key]: e.currentTarget.value })} />
              </Field>
            );
          })}
        </div>
        <div class="actions">
          <button class="button primary" type="submit" disabled={busy || !(values.name ?? '').trim()}>
            Save {singular}
          </button>
        </div>
      </form>
    </div>
  );
}

/** `a, b` → `['a', 'b']`. */
export function commaList(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}
