import type { components } from '@attest/task-form/api';
import type { Answered } from './api/client.ts';

/** A problem document the API answered with (RFC 9457). */
export class Problem extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    readonly detail: string,
    readonly errors: NonNullable<components['schemas']['Problem']['errors']> = [],
  ) {
    super(detail);
  }

  get kind(): string {
    return this.type.replace('urn:attest:problem:', '');
  }

  /** What the problem says of the field at one JSON pointer; undefined when it says nothing of it. */
  at(pointer: string): string | undefined {
    return (
      this.errors
        .filter((e) => e.pointer === pointer)
        .map((e) => e.message)
        .join('; ') || undefined
    );
  }
}

/** An open session: its token, when the token expires, and the account behind it. */
export type Session = components['schemas']['Session'];

const TOKEN_KEY = 'attest.session';
let session: Session | null = readStored();
let refreshTimer: ReturnType<typeof setTimeout> | undefined;

function readStored(): Session | null {
  try {
    const raw = globalThis.sessionStorage?.getItem(TOKEN_KEY);
    return raw ? (JSON.parse(raw) as Session) : null;
  } catch {
    return null;
  }
}

export function currentSession(): Session | null {
  return session;
}

/** Keeps the session of this tab (not of the browser): closing the tab ends it here. */
export function setSession(next: Session | null): void {
  session = next;
  clearTimeout(refreshTimer);
  if (next) {
    globalThis.sessionStorage?.setItem(TOKEN_KEY, JSON.stringify(next));
    // Renew the short-lived token a minute before it expires, while the server session is open.
    const wait = new Date(next.expiresAt).getTime() - Date.now() - 60_000;
    refreshTimer = setTimeout(() => void refresh(), Math.max(wait, 5_000));
  } else {
    globalThis.sessionStorage?.removeItem(TOKEN_KEY);
  }
}

async function refresh(): Promise<void> {
  if (!session) return;
  try {
    // The typed client is built on `request`; this module names the operation's answer instead.
    const renewed = await request<Answered<'post', '/api/auth/refresh'>>('POST', '/api/auth/refresh');
    setSession({ ...session, ...renewed });
  } catch {
    // The session ended on the server (inactivity, logout elsewhere): the next request says so.
  }
}

/** Calls the API; any answer but 2xx is thrown as a Problem. */
export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (session) headers.authorization = `Bearer ${session.token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  if (!response.ok) {
    throw new Problem(
      response.status,
      String(parsed.type ?? 'urn:attest:problem:unknown'),
      String(parsed.detail ?? response.statusText),
      (parsed.errors as Problem['errors']) ?? [],
    );
  }
  return parsed as T;
}

/** A file the API makes, fetched with this session's credentials; a refusal is thrown as a Problem. */
async function fetchFile(path: string): Promise<Response> {
  const headers: Record<string, string> = {};
  if (session) headers.authorization = `Bearer ${session.token}`;
  const response = await fetch(path, { headers });
  if (!response.ok) {
    const parsed = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    throw new Problem(
      response.status,
      String(parsed.type ?? 'urn:attest:problem:unknown'),
      String(parsed.detail ?? response.statusText),
    );
  }
  return response;
}

/**
 * Fetches a file the API makes (a printout, an export) with this session's credentials and hands it
 * to the browser as a download, under the name given or else the one the server sends.
 */
export async function download(path: string, name?: string): Promise<void> {
  const response = await fetchFile(path);
  const sent = /filename="([^"]+)"/.exec(response.headers.get('content-disposition') ?? '')?.[1];
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement('a');
  link.href = url;
  link.download = name ?? sent ?? 'download';
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * Opens a file the API makes (a label sheet) in a new tab, fetched with this session's
 * credentials. The tab is opened at once, while the click still counts as the person's, so the
 * browser does not block it; the file is shown in it once it has arrived.
 */
export async function openFile(path: string): Promise<void> {
  const tab = window.open('', '_blank');
  let response: Response;
  try {
    response = await fetchFile(path);
  } catch (error) {
    tab?.close();
    throw error;
  }
  const url = URL.createObjectURL(await response.blob());
  if (tab) tab.location.href = url;
  else window.location.assign(url);
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
