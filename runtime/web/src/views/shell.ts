import { h, show } from '@attest/task-form/dom';
import { LANGUAGES, isLanguage, language, setLanguage, t, type MessageKey } from '@attest/task-form/i18n';
import { currentSession, request, setSession } from '../api.ts';
import { zone } from '../time.ts';
import { onAsync } from '../events.ts';

export interface Me {
  user: { id: string; username: string; printedName: string; language: string };
  roles: string[];
  permissions: string[];
  mustChangePassword: boolean;
  plant: {
    timeZone: string;
    /** Role changes and grants of GMP approval authority are proposed for a second administrator (A3). */
    dualControl: boolean;
    /** The permissions that are GMP approval authority. */
    gmpApproval: string[];
  };
}

/** A page of the app: its route, its label, who may see it, and what draws it. */
export interface Page {
  route: string;
  label: MessageKey;
  /** Shown to whoever holds one of these permissions. */
  permissions: string[];
  /** A page inside another (a step inside My tasks): not in the menu, which marks the other. */
  within?: string;
  /** `param`: what follows the route, e.g. the task id of `#/task/<id>`. */
  render(container: HTMLElement, me: Me, param?: string): Promise<void> | void;
}

/** The pages this person may use, in menu order (role-aware navigation, A2). */
export const visiblePages = (pages: Page[], me: Me) =>
  pages.filter((p) => p.permissions.some((permission) => me.permissions.includes(permission)));

/**
 * The frame around every page: the menu of what this person may do, who is signed in, the
 * language switch and sign-out, and the time zone times are shown in.
 */
export function shellView(
  root: HTMLElement,
  me: Me,
  pages: Page[],
  route: string,
  rerender: () => void,
  signedOut: () => void,
): HTMLElement {
  const allowed = visiblePages(pages, me).filter((p) => !p.within);
  const nav = h(
    'nav',
    { 'aria-label': t('nav.main') },
    ...allowed.map((p) =>
      h(
        'a',
        { href: `#/${p.route}`, class: p.route === route ? 'active' : undefined, 'data-route': p.route },
        t(p.label),
      ),
    ),
  );
  const select = h(
    'select',
    { id: 'language', 'aria-label': t('nav.language') },
    ...Object.entries(LANGUAGES).map(([code, name]) =>
      h('option', { value: code, selected: code === language() }, name),
    ),
  );
  // The choice is the person's, kept with their account for every device they sign in on.
  onAsync(select, 'change', async () => {
    if (!isLanguage(select.value)) return;
    const chosen = select.value;
    select.disabled = true;
    try {
      await request('PUT', '/api/auth/language', { language: chosen });
      me.user.language = chosen;
    } catch {
      // Shown in this browser even when the account could not keep it; the next sign-in tells.
    }
    setLanguage(chosen);
    rerender();
  });
  const signOut = h('button', { type: 'button', id: 'sign-out' }, t('nav.signOut'));
  onAsync(signOut, 'click', async () => {
    try {
      if (currentSession()) await request('POST', '/api/auth/logout');
    } finally {
      setSession(null);
      signedOut();
    }
  });
  const main = h('main', { id: 'page' });
  show(
    root,
    h(
      'header',
      { class: 'bar' },
      h('span', { class: 'brand' }, t('app.name')),
      nav,
      h(
        'div',
        { class: 'who' },
        h('span', { id: 'who' }, `${me.user.printedName} (${me.user.username})`),
        select,
        signOut,
      ),
    ),
    main,
    h('footer', {}, t('common.zone', { zone: zone() })),
  );
  return main;
}
