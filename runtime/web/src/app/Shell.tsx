import { LANGUAGES, isLanguage, language, setLanguage, t, type MessageKey } from '@attest/task-form/i18n';
import { createRef, render } from 'preact';
import { useState } from 'preact/hooks';
import { currentSession, setSession } from '../api.ts';
import { api } from '../api/client.ts';
import { zone } from '../time.ts';
import type { Me, Permission } from './me.ts';

/** More menu entries than fit beside the name and the language at 1280 px wide. */
const LONG_MENU = 7;

/** A page of the app: its route, its label, who may see it, and what draws it. */
export interface Page {
  route: string;
  label: MessageKey;
  /** Shown to whoever holds one of these permissions. */
  permissions: Permission[];
  /** A page inside another (a step inside My tasks): not in the menu, which marks the other. */
  within?: string;
  /** `param`: what follows the route, e.g. the task id of `#/task/<id>`. */
  render(container: HTMLElement, me: Me, param?: string): Promise<void> | void;
}

/** The pages this person may use, in menu order (role-aware navigation, A2). */
export const visiblePages = (pages: Page[], me: Me) =>
  pages.filter((p) => p.permissions.some((permission) => me.permissions.includes(permission)));

interface ShellProps {
  me: Me;
  pages: Page[];
  /** The menu entry marked as where the person is. */
  route: string;
  navigation: number;
  rerender: () => void;
  signedOut: () => void;
}

/** The element pages are mounted into. */
const main = createRef<HTMLElement>();
/** Navigations so far: each has a main element of its own. */
let navigation = 0;

/**
 * Shows the frame around every page and returns its main area. Drawn again on each navigation
 * (the menu marks where the person is; a language change redraws its texts). Each navigation gets
 * a new main element, so a page whose data arrives after the person moved on finds its element
 * gone and is not shown (see mountPage); between navigations the element stays, whatever the
 * frame redraws, and its content belongs to the page mounted in it.
 */
export function shellView(
  root: HTMLElement,
  me: Me,
  pages: Page[],
  route: string,
  rerender: () => void,
  signedOut: () => void,
): HTMLElement {
  navigation += 1;
  render(
    <Shell
      me={me}
      pages={pages}
      route={route}
      navigation={navigation}
      rerender={rerender}
      signedOut={signedOut}
    />,
    root,
  );
  return main.current!;
}

/** Ends the frame, before the sign-in page takes the whole screen. */
export function leaveShell(root: HTMLElement): void {
  render(null, root);
}

/**
 * The frame: the menu of what this person may do, who is signed in, the language switch and
 * sign-out, and the time zone times are shown in.
 */
function Shell(props: ShellProps) {
  const { me } = props;
  const [saving, setSaving] = useState(false);
  const allowed = visiblePages(props.pages, me).filter((p) => !p.within);
  // The choice is the person's, kept with their account for every device they sign in on.
  const choose = (event: Event): void => {
    const chosen = (event.currentTarget as HTMLSelectElement).value;
    if (!isLanguage(chosen)) return;
    setSaving(true);
    api
      .put('/api/auth/language', { body: { language: chosen } })
      .then(
        () => {
          me.user.language = chosen;
        },
        // Shown in this browser even when the account could not keep it; the next sign-in tells.
        () => undefined,
      )
      .finally(() => {
        setSaving(false);
        setLanguage(chosen);
        props.rerender();
      })
      .catch(reportError);
  };
  const signOut = (): void => {
    const ended = currentSession() ? api.post('/api/auth/logout') : Promise.resolve();
    ended
      .finally(() => {
        setSession(null);
        props.signedOut();
      })
      .catch(reportError);
  };
  return (
    <>
      <header class="bar">
        <span class="brand">{t('app.name')}</span>
        {/* A long menu (QA's, the administrator's) takes a row of its own, so it stays one row. */}
        <nav aria-label={t('nav.main')} class={allowed.length > LONG_MENU ? 'long' : undefined}>
          {allowed.map((p) => (
            <a
              key={p.route}
              href={`#/${p.route}`}
              class={p.route === props.route ? 'active' : undefined}
              data-route={p.route}
            >
              {t(p.label)}
            </a>
          ))}
        </nav>
        <div class="who">
          <span id="who">{`${me.user.printedName} (${me.user.username})`}</span>
          <select id="language" aria-label={t('nav.language')} disabled={saving} onChange={choose}>
            {Object.entries(LANGUAGES).map(([code, name]) => (
              <option key={code} value={code} selected={code === language()}>
                {name}
              </option>
            ))}
          </select>
          <button type="button" id="sign-out" onClick={signOut}>
            {t('nav.signOut')}
          </button>
        </div>
      </header>
      <main key={props.navigation} id="page" ref={main} />
      <footer>{t('common.zone', { zone: zone() })}</footer>
    </>
  );
}
