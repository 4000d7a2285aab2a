import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, demoPassword } from '../../../engine/test/support/testEngine.ts';
import { BIN, buildRuntime } from '../support/attestCommand.ts';

/** Resolves with the first match of `pattern` in what the child writes to stdout. */
function waitFor(child: ChildProcessWithoutNullStreams, pattern: RegExp, output: { text: string }) {
  return new Promise<RegExpMatchArray>((resolve, reject) => {
    const check = () => {
      const match = pattern.exec(output.text);
      if (match) {
        child.stdout.off('data', check);
        resolve(match);
      }
    };
    child.stdout.on('data', check);
    child.once('exit', (code) => reject(new Error(`attest exited with ${code}:\n${output.text}`)));
    check();
  });
}

describe('Feature: graceful shutdown of `attest start`', () => {
  let env: Record<string, string>;
  let cleanup: () => Promise<void>;
  let child: ChildProcessWithoutNullStreams | undefined;

  before(async () => {
    await buildRuntime();
    if (process.env.DATABASE_URL) {
      const db = await createTestDatabase();
      env = { DATABASE_URL: db.options.url! };
      cleanup = db.drop;
    } else {
      const dir = mkdtempSync(join(tmpdir(), 'attest-shutdown-'));
      env = { DATABASE_URL: '', ATTEST_DATA_DIR: dir, INIT_CWD: dir };
      cleanup = async () => rmSync(dir, { recursive: true, force: true });
    }
  });
  after(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await cleanup();
  });

  it('on SIGTERM ends the event streams, stops and exits 0, quickly', async () => {
    const output = { text: '' };
    child = spawn(process.execPath, [BIN, 'start', '--demo', '--port', '0'], {
      env: { ...process.env, ...env, LOG_LEVEL: 'info', ATTEST_JWT_SECRET: 'x'.repeat(40) },
    });
    child.stdout.on('data', (chunk: Buffer) => (output.text += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output.text += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    const [, url] = await waitFor(child, /Attest is running at (http:\/\/\S+)/, output);
    assert.equal((await fetch(`${url}/api/ready`)).status, 200, output.text);

    const login = await fetch(`${url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'oscar', password: demoPassword('oscar') }),
    });
    const { token } = (await login.json()) as { token: string };
    const stream = await fetch(`${url}/api/task-events`, {
      headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
    });
    assert.equal(stream.status, 200);
    const reader = stream.body!.getReader();
    assert.match(new TextDecoder().decode((await reader.read()).value), /event: ready/);

    // The demo's scale: simulated, its plugin enabled, registered and read live (npm start)
    assert.match(output.text, /Demo scale DEMO-BAL-01: a simulated MT-SICS scale on 127\.0\.0\.1:\d+/);
    // The demo's plant: released lots and clean equipment the batch record's gates let through
    assert.match(
      output.text,
      /Demo plant: released lots API-PCM-\d{2}-0001, .*API-PCM-\d{2}-0003 is in quarantine/,
    );
    const admin = (await (
      await fetch(`${url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'adrian', password: demoPassword('adrian') }),
      })
    ).json()) as { token: string };
    const devices = (await (
      await fetch(`${url}/api/devices`, { headers: { authorization: `Bearer ${admin.token}` } })
    ).json()) as { devices: { id: string; code: string }[] };
    const scale = devices.devices.find((d) => d.code === 'DEMO-BAL-01')!;
    const live = await fetch(`${url}/api/devices/${scale.id}/live?channel=weight`, {
      headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
    });
    const liveReader = live.body!.getReader();
    let seen = '';
    while (!/event: reading/.test(seen)) seen += new TextDecoder().decode((await liveReader.read()).value);
    assert.match(seen, /"raw":"S S {5}80\.020 kg"/);

    const signalled = performance.now();
    child.kill('SIGTERM');
    // The streams end from the server's side: the readers see their end rather than hanging.
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read());
    for (let chunk = await liveReader.read(); !chunk.done; chunk = await liveReader.read());
    assert.equal(await exited, 0, output.text);
    const seconds = (performance.now() - signalled) / 1000;
    assert.ok(seconds < 5, `shut down in ${seconds.toFixed(1)} s`);
    assert.match(output.text, /"msg":"shut down"/);
    assert.doesNotMatch(output.text, /"level":50/, 'no error logged');
    await assert.rejects(fetch(`${url}/api/health`));
  });
});
