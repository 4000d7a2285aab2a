import { render, type ComponentChild } from 'preact';

/**
 * The page on screen. A page is a Preact tree mounted into the shell's main area; it lives until the
 * next page is shown, the person signs out or the screen locks. Unmounting runs the page's effect
 * cleanups, so its listeners, timers and event streams end with it: no page keeps a module-level
 * `hashchange` listener of its own.
 */
let mounted: Element | null = null;

/** Shows a page in the main area, ending the one shown before. */
export function mountPage(container: Element, page: ComponentChild): void {
  // A page whose data arrived after the person moved on is not shown.
  if (!container.isConnected) return;
  if (mounted && mounted !== container) unmountPage();
  container.replaceChildren();
  render(page, container);
  mounted = container;
}

/** Ends the page on screen (its effects' cleanups run); called before every navigation. */
export function unmountPage(): void {
  if (!mounted) return;
  render(null, mounted);
  mounted = null;
}
