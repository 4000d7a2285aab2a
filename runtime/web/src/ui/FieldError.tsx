/** The server's refusal of one field, shown under it; hidden while there is none. */
export function FieldError(props: { message: string | null }) {
  return (
    <small class="field-error" hidden={props.message === null}>
      {props.message ?? ''}
    </small>
  );
}
