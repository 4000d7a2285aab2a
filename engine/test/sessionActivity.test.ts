import assert from 'node:assert/strict';
import { loginAs, startTestEngine, type TestContext } from './support/testEngine.ts';

describe('Feature: a session’s activity, written sparingly', () => {
  let ctx: TestContext;
  before(async () => {
    ctx = await startTestEngine({ inactivityMinutes: 15 });
  });
  after(() => ctx.close());

  const lastSeen = async (sessionId: string) =>
    (
      (await ctx.asOwner((db) => db('sessions').where({ id: sessionId }).first('last_seen_at'))) as {
        last_seen_at: Date;
      }
    ).last_seen_at.getTime();

  it('writes activity at most once a minute, not on every request', async () => {
    const olivia = await loginAs(ctx.engine, 'olivia');
    const first = await lastSeen(olivia.sessionId);
    ctx.clock.advance(0.5);
    await ctx.engine.identity.authenticate(olivia.sessionId);
    assert.equal(await lastSeen(olivia.sessionId), first, 'within a minute: not written');
    ctx.clock.advance(1);
    await ctx.engine.identity.authenticate(olivia.sessionId);
    assert.ok((await lastSeen(olivia.sessionId)) > first, 'after a minute: written');
  });

  it('A5: an idle session so ends up to a minute early, never late', async () => {
    const olivia = await loginAs(ctx.engine, 'olivia');
    ctx.clock.advance(0.5);
    await ctx.engine.identity.authenticate(olivia.sessionId);
    ctx.clock.advance(14.6);
    await assert.rejects(
      ctx.engine.identity.authenticate(olivia.sessionId),
      /locked after 15 minutes without activity/,
    );
  });
});
