import assert from 'node:assert/strict';
import net from 'node:net';
import { escapeRaw, parseAnswer, parseQuoted, parseWeight } from '../src/protocol.ts';
import { runSimulator } from '../src/simulator.ts';

describe('MT-SICS answers', () => {
  it('E3: takes weight answers apart: stable, dynamic, overload, underload, negative, other units', () => {
    const weight = (line: string) => {
      const answer = parseAnswer(line);
      assert.ok(answer, line);
      return parseWeight(answer);
    };
    assert.deepEqual(weight('S S     100.00 g'), { value: 100, unit: 'g', status: 'ok' });
    assert.deepEqual(weight('S D      -0.013 kg'), { value: -0.013, unit: 'kg', status: 'unstable' });
    assert.deepEqual(weight('S S   12.5 ct  '), { value: 12.5, unit: 'ct', status: 'ok' });
    assert.deepEqual(weight('S S   3.2 \xb5g'), { value: 3.2, unit: '\xb5g', status: 'ok' });
    assert.deepEqual(weight('S +'), { value: null, unit: null, status: 'overload' });
    assert.deepEqual(weight('S -'), { value: null, unit: null, status: 'underload' });
    assert.equal(weight('S I'), null);
    assert.equal(weight('S S  1,5 g'), null);
    assert.equal(weight('TA A   2.00 g'), null);
  });

  it('E6: tells error codes and lines that are not MT-SICS apart', () => {
    assert.deepEqual(parseAnswer('ES'), { command: 'ES', status: '', rest: '' });
    assert.deepEqual(parseAnswer('EL'), { command: 'EL', status: '', rest: '' });
    for (const line of [
      '',
      's s 1 g',
      'S',
      'HELLO WORLD',
      'ES X',
      'S S\x00 1 g',
      '\x02S S 1 g',
      'S SS 1 g',
    ]) {
      assert.equal(parseAnswer(line), null, JSON.stringify(line));
    }
    assert.deepEqual(parseAnswer('I4 A "B123456789"'), { command: 'I4', status: 'A', rest: '"B123456789"' });
    assert.equal(parseQuoted('"XS205 Excellence"'), 'XS205 Excellence');
    assert.equal(parseQuoted('B123'), null);
  });

  it('E3: keeps a raw answer as printable text', () => {
    assert.equal(escapeRaw('S S     100.00 g'), 'S S     100.00 g');
    assert.equal(escapeRaw('\x02#\xff\x00\\'), '\\x02#\xff\\x00\\x5c');
  });
});

describe('MT-SICS simulator', () => {
  it('serves a scale on a free port and says where and how to reach it', async () => {
    const said: string[] = [];
    const simulator = await runSimulator({ load: 5, unit: 'kg', log: (line) => said.push(line) });
    try {
      const port = Number(/127\.0\.0\.1:(\d+)/.exec(said.join('\n'))?.[1]);
      assert.ok(port > 0, said.join('\n'));
      assert.match(said.join('\n'), /"transport":"tcp"/);
      const socket = net.connect({ host: '127.0.0.1', port });
      const answer = await new Promise<string>((resolve, reject) => {
        let received = '';
        socket.on('error', reject);
        socket.on('data', (chunk) => {
          received += chunk.toString('latin1');
          if (received.split('\r\n').length > 3) resolve(received);
        });
        socket.write('SI\r\nI4\r\nXYZ\r\n');
      });
      socket.destroy();
      assert.equal(answer, 'S S       5.00 kg\r\nI4 A "B123456789"\r\nES\r\n');
    } finally {
      await simulator.stop();
    }
  });
});
