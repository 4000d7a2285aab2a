import type { ComponentChildren } from 'preact';

/**
 * A labelled input: the label names the control by `id` (the control, a child, carries the same
 * id), with an optional hint and whatever follows it (a field error).
 */
export function Field(props: {
  id: string;
  label: string;
  hint?: string;
  children: ComponentChildren;
  after?: ComponentChildren;
  hidden?: boolean;
}) {
  return (
    <div class="field" hidden={props.hidden}>
      <label for={props.id}>{props.label}</label>
      {props.children}
      {props.hint ? <small>{props.hint}</small> : null}
      {props.after}
    </div>
  );
}
