import type { FieldError as PointedError } from '@attest/task-form';
import type { ComponentChildren } from 'preact';
import { FieldError } from './FieldError.tsx';

/**
 * A labelled input: the label names the control by `id` (the control, a child, carries the same
 * id), with an optional hint. Given `error` (null while there is none), the field keeps a place
 * for what is wrong with it, `<id>-error`, which `fieldProps` points the input to.
 */
export function Field(props: {
  id: string;
  label: string;
  hint?: string;
  error?: string | null;
  children: ComponentChildren;
  hidden?: boolean;
}) {
  return (
    <div class="field" hidden={props.hidden}>
      <label for={props.id}>{props.label}</label>
      {props.children}
      {props.hint ? <small>{props.hint}</small> : null}
      {props.error === undefined ? null : <FieldError id={`${props.id}-error`} message={props.error} />}
    </div>
  );
}

/** The attributes of an input a field's label and error message belong to. */
export function fieldProps(id: string, error: string | null | undefined) {
  return {
    id,
    name: id,
    'aria-invalid': error ? ('true' as const) : undefined,
    'aria-describedby': error ? `${id}-error` : undefined,
  };
}

/**
 * Sorts errors to the fields their pointers name (a pointer within a field counts for it): the
 * messages by field, and the errors no field takes.
 */
export function errorsAtFields<F extends string>(
  errors: PointedError[],
  fields: Record<F, string>,
): { at: Partial<Record<F, string>>; rest: PointedError[]; first: string | null } {
  const at: Partial<Record<F, string>> = {};
  const rest: PointedError[] = [];
  let first: string | null = null;
  for (const error of errors) {
    const field = (Object.keys(fields) as F[]).find(
      (f) => error.pointer === fields[f] || error.pointer.startsWith(`${fields[f]}/`),
    );
    if (field === undefined) rest.push(error);
    else {
      at[field] = at[field] ? `${at[field]}; ${error.message}` : error.message;
      first ??= field;
    }
  }
  return { at, rest, first };
}
