import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Creates and fills pgbench's TPC-B tables (`pgbench -i -q -s <scale>`) in the database at `url`. */
export async function initTpcb(url: string, scale: number): Promise<void> {
  await run(process.env.PGBENCH || 'pgbench', ['-i', '-q', '-s', String(scale), url], {
    maxBuffer: 16 << 20,
  });
}

/**
 * pgbench's built-in `tpcb-like` transaction, word for word, with the bounds of a database of
 * `scale` written out (a custom script sees `:scale` as 1): three updates, a select and an insert.
 */
export function tpcbScript(scale: number): string {
  return `\\set aid random(1, ${100_000 * scale})
\\set bid random(1, ${scale})
\\set tid random(1, ${10 * scale})
\\set delta random(-5000, 5000)
BEGIN;
UPDATE pgbench_accounts SET abalance = abalance + :delta WHERE aid = :aid;
SELECT abalance FROM pgbench_accounts WHERE aid = :aid;
UPDATE pgbench_tellers SET tbalance = tbalance + :delta WHERE tid = :tid;
UPDATE pgbench_branches SET bbalance = bbalance + :delta WHERE bid = :bid;
INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (:tid, :bid, :aid, :delta, CURRENT_TIMESTAMP);
END;
`;
}
