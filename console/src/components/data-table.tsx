/**
 * The console's tables: scrollable sideways on a narrow screen, a caption for screen readers,
 * column headers (one may be read only by them, e.g. a column of buttons), and the rows given.
 */
import type { ComponentChildren } from 'preact';

export interface Column {
  label: string;
  /** Read to screen readers only (a column of action buttons). */
  hidden?: boolean;
  /** Not shown on narrow screens. */
  wideOnly?: boolean;
}

export function DataTable({ caption, columns, live, children }: { caption: string; columns: Array<string | Column>; live?: boolean; children: ComponentChildren }) {
  return (
    <div class="table-wrap">
      <table class="table">
        <caption class="sr-only">{caption}</caption>
        <thead>
          <tr>
            {columns.map((column) => {
              const c = typeof column === 'string' ? { label: column } : column;
              return (
                <th key={c.label} scope="col" class={c.wideOnly ? 'hide-narrow' : undefined}>
                  {c.hidden ? <span class="sr-only">{c.label}</span> : c.label}
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody aria-live={live ? 'polite' : undefined}>{children}</tbody>
      </table>
    </div>
  );
}
