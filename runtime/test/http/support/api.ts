import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino, type Logger } from 'pino';
import type { DeepPartial, Settings } from '@attest/engine';
import {
  demoPassword,
  startTestEngine,
  type TestContext,
} from '../../../../engine/test/support/testEngine.ts';
import { closeStreams, createApp } from '../../../src/http/app.ts';
import type { DeviceHub } from '../../../src/devices/hub.ts';
import { contractChecker, type OpenApi } from './contract.ts';

export type DemoUser = Parameters<typeof demoPassword>[0];

export interface ApiResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON for JSON and problem documents, the text otherwise. */
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  text: string;
  /** The body as received, for downloads that are not text. */
  bytes: Buffer;
}

export interface RequestOptions {
  token?: string;
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as is, with the content type given in headers (default application/json). */
  raw?: string | Uint8Array;
  headers?: Record<string, string>;
}

export interface TestApi {
  ctx: TestContext;
  url: string;
  jwtSecret: string;
  document: OpenApi;
  request(method: string, path: string, options?: RequestOptions): Promise<ApiResponse>;
  /** Logs a demo user in over HTTP and returns the token. */
  login(username: DemoUser | string, password?: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * A fresh engine and database, the app on an ephemeral port, and a client whose every response
 * is checked against the app's own OpenAPI document.
 */
export async function startTestApi(
  options: {
    settings?: DeepPartial<Settings>;
    logger?: Logger;
    ctx?: TestContext;
    metricsToken?: string;
    /** The connections to devices (default: none loaded). */
    devices?: DeviceHub;
  } = {},
): Promise<TestApi> {
  const ctx = options.ctx ?? (await startTestEngine(options.settings));
  const jwtSecret = randomBytes(32).toString('hex');
  const app = createApp({
    engine: ctx.engine,
    jwtSecret,
    logger: options.logger ?? pino({ level: 'silent' }),
    ...(options.metricsToken !== undefined && { metricsToken: options.metricsToken }),
    ...(options.devices && { devices: options.devices }),
  });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const document = (await (await fetch(`${url}/api/openapi.json`)).json()) as OpenApi;
  const check = contractChecker(document);

  async function request(method: string, path: string, opts: RequestOptions = {}): Promise<ApiResponse> {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    let body: string | Uint8Array | undefined;
    if (opts.raw !== undefined) {
      body = opts.raw;
      headers['content-type'] ??= 'application/json';
    } else if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] ??= 'application/json';
    }
    // Cast for the programs that also compile DOM code, whose BodyInit names no Uint8Array.
    const response = await fetch(`${url}${path}`, { method, headers, body: body as RequestInit['body'] });
    const bytes = Buffer.from(await response.arrayBuffer());
    const text = new TextDecoder().decode(bytes);
    const contentType = response.headers.get('content-type');
    check({ method, path: new URL(path, url).pathname, status: response.status, contentType, text });
    const isJson = /^application\/(problem\+)?json/.test(contentType ?? '') && text !== '';
    return {
      status: response.status,
      headers: response.headers,
      body: isJson ? JSON.parse(text) : text,
      text,
      bytes,
    };
  }

  async function login(username: string, password?: string): Promise<string> {
    const response = await request('POST', '/api/auth/login', {
      body: { username, password: password ?? demoPassword(username as DemoUser) },
    });
    assert.equal(response.status, 200, response.text);
    return response.body.token as string;
  }

  return {
    ctx,
    url,
    jwtSecret,
    document,
    request,
    login,
    close: async () => {
      closeStreams(app);
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (!options.ctx) await ctx.close();
    },
  };
}

/** A problem document of the given status and kind; returns it for further checks. */
export function assertProblem(response: ApiResponse, status: number, kind: string) {
  assert.equal(response.status, status, response.text);
  assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
  assert.equal(response.body.type, `urn:attest:problem:${kind}`, response.text);
  assert.equal(response.body.status, status);
  assert.equal(typeof response.body.detail, 'string');
  assert.equal(response.body.requestId, response.headers.get('x-request-id'));
  return response.body as {
    type: string;
    title: string;
    status: number;
    detail: string;
    instance: string;
    requestId: string;
    errors?: { pointer: string; keyword: string; message: string }[];
  };
}
