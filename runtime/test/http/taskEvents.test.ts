import assert from 'node:assert/strict';
import { assertProblem, startTestApi, type TestApi } from './support/api.ts';
import { testPackage, TEMPLATE_ID } from './support/templatePackage.ts';
import { demoPassword } from '../../../engine/test/support/testEngine.ts';

/** Reads server-sent events from a stream until `wanted` arrives or the time is up. */
async function nextEvent(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  wanted: string,
  ms = 5000,
): Promise<string | null> {
  const decoder = new TextDecoder();
  let buffer = '';
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const chunk = await Promise.race([
      reader.read(),
      new Promise<null>((resolve) => setTimeout(() => resolve(null), deadline - Date.now())),
    ]);
    if (chunk === null || chunk.done) return null;
    buffer += decoder.decode(chunk.value, { stream: true });
    for (const block of buffer.split('\n\n').slice(0, -1)) {
      const event = /^event: (.+)$/m.exec(block)?.[1];
      if (event === wanted) return block;
    }
    buffer = buffer.slice(buffer.lastIndexOf('\n\n') + 2);
  }
  return null;
}

describe('Feature: live updates of My tasks over server-sent events', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi();
    const quinn = await api.login('quinn');
    const petra = await api.login('petra');
    const as = (token: string, body?: unknown) => ({ token, body });
    assert.equal(
      (await api.request('POST', '/api/templates', as(quinn, { files: testPackage() }))).status,
      201,
    );
    const base = `/api/templates/${TEMPLATE_ID}/versions/1.0.0`;
    assert.equal((await api.request('POST', `${base}/submit`, as(quinn))).status, 200);
    const approved = await api.request(
      'POST',
      `${base}/approve`,
      as(petra, { password: demoPassword('petra') }),
    );
    assert.equal(approved.status, 200, approved.text);
    assert.equal((await api.request('POST', `${base}/effective`, as(quinn))).status, 200);
  });
  after(() => api.close());

  it('A2: the stream needs a session', async () => {
    assertProblem(await api.request('GET', '/api/task-events'), 401, 'unauthenticated');
  });

  it('tells an open stream that tasks changed when a record starts elsewhere, without task data', async () => {
    const oscar = await api.login('oscar');
    const response = await fetch(`${api.url}/api/task-events`, {
      headers: { authorization: `Bearer ${oscar}`, accept: 'text/event-stream' },
    });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    const reader = response.body!.getReader();
    assert.ok(await nextEvent(reader, 'ready'), 'the stream opens with ready');
    const olivia = await api.login('olivia');
    const started = await api.request('POST', '/api/records', {
      token: olivia,
      body: { template: TEMPLATE_ID, title: 'Seen live' },
    });
    assert.equal(started.status, 201, started.text);
    const event = await nextEvent(reader, 'tasks');
    assert.ok(event, 'a tasks event arrives');
    assert.doesNotMatch(event, /Seen live|report/, 'the event carries no task data');
    await reader.cancel();
  });
});
