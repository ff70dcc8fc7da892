import { useRef } from 'preact/hooks';
import type { ComponentChildren } from 'preact';

/**
 * A button that asks before it acts, in a native <dialog> (focus moves into it and Escape
 * cancels it, from the keyboard as with a pointer).
 */
export function ConfirmButton({ label, question, confirmLabel, danger, onConfirm, disabled }: { label: string; question: ComponentChildren; confirmLabel: string; danger?: boolean; onConfirm: () => void; disabled?: boolean }) {
  const dialog = useRef<HTMLDialogElement>(null);
  return (
    <>
      <button type="button" class={danger ? 'button danger' : 'button'} disabled={disabled} onClick={() => dialog.current?.showModal()}>
        {label}
      </button>
      <dialog ref={dialog} class="dialog" aria-label={label}>
        <form method="dialog">
          <p>{question}</p>
          <div class="actions">
            <button class="button" value="cancel">
              Cancel
            </button>
            <button class={danger ? 'button danger' : 'button primary'} value="confirm" onClick={() => onConfirm()}>
              {confirmLabel}
            </button>
          </div>
        </form>
      </dialog>
    </>
  );
}
