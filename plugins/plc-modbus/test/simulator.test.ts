import assert from 'node:assert/strict';
import net from 'node:net';
import { ModbusSimulator } from '../src/simulator.ts';

/** Sends one Modbus TCP frame (hex) on a fresh connection and gives the answer (hex), or `closed`. */
async function exchange(port: number, requestHex: string): Promise<string> {
  const socket = net.connect({ host: '127.0.0.1', port });
  try {
    return await new Promise<string>((resolve, reject) => {
      let answer = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        answer = Buffer.concat([answer, chunk]);
        const garbage = answer.length >= 4 && answer.readUInt16BE(2) !== 0;
        if (garbage || (answer.length >= 6 && answer.length >= 6 + answer.readUInt16BE(4))) {
          resolve(answer.toString('hex'));
        }
      });
      socket.on('close', () => resolve(answer.length > 0 ? answer.toString('hex') : 'closed'));
      socket.on('error', reject);
      socket.write(Buffer.from(requestHex.replace(/ /g, ''), 'hex'));
    });
  } finally {
    socket.destroy();
  }
}

describe('the Modbus TCP simulator, byte for byte', function () {
  this.timeout(10_000);
  const device = new ModbusSimulator({ unitId: 1 });
  let port: number;
  before(async () => {
    port = await device.start();
  });
  after(() => device.stop());

  it('answers function 3 with the transaction id, the byte count and the registers', async () => {
    device.setRegisters('holding', 0x10, [0x1234, 0xabcd]);
    // tid 0x0102, protocol 0, length 6, unit 1, fc 3, address 0x0010, quantity 2
    assert.equal(await exchange(port, '0102 0000 0006 01 03 0010 0002'), '0102000000070103041234abcd');
  });

  it('packs bits low bit first for functions 1 and 2, and writes them with 15', async () => {
    assert.equal(
      await exchange(port, '0001 0000 0009 01 0f 0020 000a 02 cd01'),
      '00010000000601 0f 0020 000a'.replace(/ /g, ''),
    );
    assert.deepEqual([...device.coils.subarray(0x20, 0x2a)], [1, 0, 1, 1, 0, 0, 1, 1, 1, 0]);
    assert.equal(await exchange(port, '0002 0000 0006 01 01 0020 000a'), '000200000005010102cd01');
    device.setBit('discrete', 3, true);
    assert.equal(await exchange(port, '0003 0000 0006 01 02 0000 0004'), '0003000000040102' + '0108');
  });

  it('writes single registers and coils with 5 and 6 and multiple registers with 16, echoing the request', async () => {
    assert.equal(await exchange(port, '0004 0000 0006 01 05 0007 ff00'), '00040000000601050007ff00');
    assert.equal(device.coils[7], 1);
    assert.equal(await exchange(port, '0005 0000 0006 01 06 0100 beef'), '00050000000601060100beef');
    assert.equal(device.holding[0x100], 0xbeef);
    assert.equal(
      await exchange(port, '0006 0000 000b 01 10 0200 0002 04 0001 0002'),
      '000600000006011002000002',
    );
    assert.deepEqual([device.holding[0x200], device.holding[0x201]], [1, 2]);
  });

  it('answers exceptions: 1 for an unknown function, 3 for a bad quantity or coil value, the one set at an address', async () => {
    assert.equal(await exchange(port, '0007 0000 0006 01 07 0000 0001'), '000700000003018701');
    assert.equal(await exchange(port, '0008 0000 0006 01 03 0000 007e'), '000800000003018303');
    assert.equal(await exchange(port, '0009 0000 0006 01 05 0000 1234'), '000900000003018503');
    assert.equal(await exchange(port, '000a 0000 0006 01 04 ffff 0002'), '000a00000003018402');
    device.exceptionAt('input', 5, 4);
    assert.equal(await exchange(port, '000b 0000 0006 01 04 0004 0002'), '000b00000003018404');
    device.exceptionAt('input', 5, null);
    assert.equal(await exchange(port, '000c 0000 0006 09 04 0004 0002'), '000c0000000309840b');
  });

  it('drops a connection that does not speak Modbus TCP, and garbles its answers on demand', async () => {
    assert.equal(await exchange(port, '0001 0001 0006 01 03 0000 0001'), 'closed');
    device.garble(true);
    try {
      const answer = await exchange(port, '0001 0000 0006 01 03 0000 0001');
      assert.equal(answer, Buffer.from('\xff\xfeNOT MODBUS\r\n', 'latin1').toString('hex'));
    } finally {
      device.garble(false);
    }
  });
});
