/**
 * Listens with an async handler. A handler shows the errors it expects itself; one it did not
 * expect is reported as an uncaught error (the console, the browser tests' error check) rather than
 * lost as a rejected promise nobody waits for.
 */
export function onAsync<K extends keyof HTMLElementEventMap>(
  target: HTMLElement,
  type: K,
  handler: (event: HTMLElementEventMap[K]) => Promise<void>,
): void {
  target.addEventListener(type, (event) => {
    handler(event).catch(reportError);
  });
}
