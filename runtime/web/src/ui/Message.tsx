import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';

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
  /** Each new value (a new outcome) scrolls the shown message into view, e.g. at the top of a long page. */
  reveal?: unknown;
}) {
  const { tone, id, children } = props;
  const role = props.role ?? (tone === 'error' ? 'alert' : 'status');
  const shown = props.shown ?? Boolean(children);
  const className = tone === 'plain' ? 'message' : `message ${tone}`;
  // One ref for either element the message may be drawn as.
  const ref = useRef<HTMLParagraphElement & HTMLDivElement>(null);
  useEffect(() => {
    if (props.reveal && shown) ref.current?.scrollIntoView({ block: 'nearest' });
  }, [props.reveal]);
  return props.block ? (
    <div ref={ref} id={id} class={className} role={role} hidden={!shown}>
      {children}
    </div>
  ) : (
    <p ref={ref} id={id} class={className} role={role} hidden={!shown}>
      {children}
    </p>
  );
}

/** What a page's outcome message says: what was done, or what went wrong. */
export interface NoticeState {
  kind: 'success' | 'error';
  content: ComponentChildren;
}

/** A page's outcome message, hidden until there is something to say; each new one scrolls into view. */
export function Notice(props: { id: string; notice: NoticeState | null; block?: boolean }) {
  const { notice } = props;
  return (
    <Message
      id={props.id}
      tone={notice?.kind ?? 'plain'}
      shown={notice !== null}
      block={props.block}
      reveal={notice}
    >
      {notice?.content}
    </Message>
  );
}
