import type { ComponentChildren } from 'preact';

/**
 * A labelled form field whose error (from the API's `details`, by path) is shown under it,
 * announced, and tied to the input with aria-describedby.
 */
export function Field({ id, label, error, hint, children }: { id: string; label: string; error?: string | undefined; hint?: string; children: ComponentChildren }) {
  return (
    <div class={`field${error ? ' field-invalid' : ''}`} data-field={id}>
      <label for={id}>{label}</label>
      {children}
      {hint && !error && (
        <small class="hint" id={`${id}-hint`}>
          {hint}
        </small>
      )}
      {error && (
        <small class="field-error" id={`${id}-error`} role="alert">
          {error}
        </small>
      )}
    </div>
  );
}

/** The aria attributes an input inside a `Field` needs. */
export function fieldAria(id: string, error: string | undefined, hint?: string) {
  return { id, 'aria-invalid': error ? true : undefined, 'aria-describedby': error ? `${id}-error` : hint ? `${id}-hint` : undefined };
}
