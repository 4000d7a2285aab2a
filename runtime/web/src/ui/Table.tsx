import type { ComponentChildren, JSX } from 'preact';

/** A column of a table: its heading, and what each row shows in it. */
export interface Column<T> {
  heading: string;
  /** The class of the column's cells (e.g. `actions`, `state`). */
  class?: string;
  cell(row: T): ComponentChildren;
}

/**
 * A table whose rows are keyed so a reload changes only what changed: focus and scroll position
 * stay where they were. As a list of cards (the default, the administration's tables) each row
 * becomes a card on a narrow screen (a tablet upright) whose cells say their column; otherwise it
 * stays a plain table (a record's values, its audit trail, the records list).
 */
export function Table<T>(props: {
  id?: string;
  class?: string;
  cards?: boolean;
  columns: Column<T>[];
  rows: T[];
  rowKey: (row: T, index: number) => string | number;
  rowProps?: (row: T) => JSX.HTMLAttributes<HTMLTableRowElement> & Record<`data-${string}`, unknown>;
}) {
  const cards = props.cards ?? true;
  return (
    <table id={props.id} class={['records', cards && 'admin-table', props.class].filter(Boolean).join(' ')}>
      <thead>
        <tr>
          {props.columns.map((column, i) => (
            <th key={i} scope="col">
              {column.heading}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {props.rows.map((row, index) => (
          <tr key={props.rowKey(row, index)} {...props.rowProps?.(row)}>
            {props.columns.map((column, i) => (
              <td key={i} class={column.class} data-label={(cards && column.heading) || undefined}>
                {column.cell(row)}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
