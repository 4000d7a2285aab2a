/**
 * What is wrong with one field, shown under it; hidden while there is nothing to say. With an id,
 * the field's input points screen readers to it (see `fieldProps`).
 */
export function FieldError(props: { id?: string; message: string | null | undefined }) {
  return (
    <small class="field-error" id={props.id} hidden={!props.message}>
      {props.message ?? ''}
    </small>
  );
}
