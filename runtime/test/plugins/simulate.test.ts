import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { attest, BIN, buildRuntime } from '../support/attestCommand.ts';

const BUILT = new URL('../../dist/attest.js', import.meta.url);
const scaleManifest = JSON.parse(
  readFileSync(new URL('../../../plugins/scale-mtsics/package.json', import.meta.url), 'utf8'),
) as { attest: { settings: object } };

/** One MT-SICS command to the scale at `port`, and its answer line. */
function ask(port: number, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(`${command}\r\n`));
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      answer += chunk;
      if (answer.includes('\r\n')) {
        socket.destroy();
        resolve(answer.trimEnd());
      }
    });
    socket.on('error', reject);
  });
}

describe('Feature: attest simulate serves a connector’s simulated device from the built command', () => {
  before(() => buildRuntime());

  it('bundles no protocol stack: the simulators and plugin entries are imported when asked for', () => {
    const bundle = readFileSync(BUILT, 'utf8');
    for (const stack of ['node-opcua', 'modbus-serial', 'serialport'])
      assert.ok(!bundle.includes(`"${stack}"`), `dist/attest.js imports ${stack}`);
  });

  it('serves the MT-SICS scale on a free port, prints the device to register, and stops on Ctrl-C', async () => {
    const child = spawn(process.execPath, [BIN, 'simulate', 'scale', '--port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', () => stdout.includes('Ctrl-C') && resolve());
        void exited.then((code) => reject(new Error(`exited ${code}: ${stderr}`)));
      });
      const body = JSON.parse(stdout.slice(stdout.indexOf('\n{') + 1, stdout.lastIndexOf('}') + 1)) as {
        plugin: string;
        kind: string;
        settings: { transport: string; host: string; port: number };
      };
      assert.equal(body.plugin, '@attest/scale-mtsics');
      assert.equal(body.kind, 'scale');
      const valid = new Ajv2020({ strict: false }).compile(scaleManifest.attest.settings);
      assert.ok(valid(body.settings), JSON.stringify(valid.errors));
      assert.equal(body.settings.host, '127.0.0.1');
      assert.match(await ask(body.settings.port, 'I4'), /^I4 A "B123456789"$/);
    } finally {
      child.kill('SIGINT');
    }
    assert.equal(await exited, 0, stderr);
  });

  it('answers bad input with one line and exit 1, as every command does', async () => {
    for (const [args, message] of [
      [['simulate'], /^attest: simulate needs one of scale, modbus, opcua \(see attest --help\)\n$/],
      [['simulate', 'sartorius'], /^attest: simulate needs one of scale, modbus, opcua, not "sartorius"/],
      [['simulate', 'scale', '--port', '70000'], /^attest: --port must be a whole number from 0 to 65535/],
      [['simulate', 'scale', 'opcua'], /^attest: unexpected argument "opcua"/],
    ] as const) {
      const r = await attest([...args], {});
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(r.stdout, '');
    }
  });
});
