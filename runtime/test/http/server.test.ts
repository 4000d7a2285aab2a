import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { LEDGER_SUBJECT, type Engine } from '@attest/engine';
import {
  demoPassword,
  loginAs,
  startTestEngine,
  type TestContext,
} from '../../../engine/test/support/testEngine.ts';
import { startServer } from '../../src/server.ts';

describe('Feature: the server', () => {
  let ctx: TestContext;
  before(async () => {
    ctx = await startTestEngine();
  });
  after(() => ctx.close());

  const start = (engine: Engine, sealIntervalMs?: number) =>
    startServer({
      engine,
      port: 0,
      host: '127.0.0.1',
      jwtSecret: randomBytes(32).toString('hex'),
      logger: pino({ level: 'silent' }),
      ...(sealIntervalMs !== undefined && { sealIntervalMs }),
    });

  it('listens on the given host and an ephemeral port', async () => {
    const server = await start(ctx.engine);
    try {
      assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      const response = await fetch(`${server.url}/api/health`);
      assert.equal(response.status, 200);
    } finally {
      await server.close();
    }
  });

  it('C3: seals the heads of changed audit trails into the ledger periodically', async () => {
    const adrian = await loginAs(ctx.engine, 'adrian');
    const seals = async () =>
      (await ctx.engine.audit.trail(adrian, { recordId: LEDGER_SUBJECT.id })).filter(
        (e) => e.type === 'ledger.sealed',
      ).length;
    const before = await seals();
    const server = await start(ctx.engine, 50);
    try {
      for (let i = 0; i < 100 && (await seals()) === before; i++) await sleep(20);
      assert.ok((await seals()) > before, 'no seal within 2 seconds');
    } finally {
      await server.close();
    }
    const after = await seals();
    await ctx.engine.identity.login({ username: 'oscar', password: demoPassword('oscar') });
    await sleep(200);
    assert.equal(await seals(), after, 'sealing goes on after close');
  });

  it('lets requests in flight finish on close, then takes no more, and leaves the engine open', async () => {
    let entered!: () => void;
    const inFlight = new Promise<void>((resolve) => (entered = resolve));
    const slow: Engine = {
      ...ctx.engine,
      identity: {
        ...ctx.engine.identity,
        login: async (input) => {
          entered();
          await sleep(300);
          return ctx.engine.identity.login(input);
        },
      },
    };
    const server = await start(slow);
    const login = fetch(`${server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'olivia', password: demoPassword('olivia') }),
    });
    await inFlight;
    const closed = server.close();
    assert.equal((await login).status, 200);
    await closed;
    await assert.rejects(fetch(`${server.url}/api/health`));
    assert.ok(
      (await ctx.engine.identity.login({ username: 'quinn', password: demoPassword('quinn') })).sessionId,
    );
  });
});
