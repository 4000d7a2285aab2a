/** A message for the next page shown, e.g. "completed and signed" on the task list after a step. */
let pending: string | null = null;

export function setNotice(text: string): void {
  pending = text;
}

export function takeNotice(): string | null {
  const text = pending;
  pending = null;
  return text;
}
