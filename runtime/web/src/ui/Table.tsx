import type { ComponentChildren, JSX } from 'preact';

/** A column of a table: its heading, and what each row shows in it. */
export interface Column<T> {
  heading: string;
  /** The class of the column's cells (e.g. `actions`, `state`). */
  class?: string;
  cell(row: T): ComponentChildren;
}

/**
 * A table whose cells say their column on a narrow screen (a tablet upright), its rows keyed so a
 * reload changes only what changed: focus and scroll position stay where they were.
 */
export function Table<T>(props: {
  id?: string;
  class?: string;
  columns: Column<T>[];
  rows: T[];
  rowKey: (row: T, index: number) => string | number;
  rowProps?: (row: T) => JSX.HTMLAttributes<HTMLTableRowElement> & Record<`data-${string}`, unknown>;
}) {
  return (
    <table id={props.id} class={`records admin-table ${props.class ?? ''}`.trim()}>
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
              <td key={i} class={column.class} data-label={column.heading || undefined}>
                {column.cell(row)}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
