import type { ComponentChildren } from 'preact';

/**
 * A status or alert line of a page or dialog. It stays in the page while empty (hidden), so a
 * screen reader's live region exists before its first message and tests can wait for it to show.
 */
export function Message(props: {
  tone: 'error' | 'success' | 'plain';
  /** Errors are alerts (read out at once); the rest are statuses. */
  role?: 'alert' | 'status';
  id?: string;
  /** Nothing to say: the element is kept, hidden. */
  children?: ComponentChildren;
  shown?: boolean;
  /** A message with a list in it is a block of its own, not a paragraph. */
  block?: boolean;
}) {
  const { tone, id, children } = props;
  const role = props.role ?? (tone === 'error' ? 'alert' : 'status');
  const shown = props.shown ?? Boolean(children);
  const className = tone === 'plain' ? 'message' : `message ${tone}`;
  return props.block ? (
    <div id={id} class={className} role={role} hidden={!shown}>
      {children}
    </div>
  ) : (
    <p id={id} class={className} role={role} hidden={!shown}>
      {children}
    </p>
  );
}
