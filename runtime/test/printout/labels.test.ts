import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '@attest/engine';
import { code128, drawQrCode, qrCode, QR_QUIET_ZONE } from '../../src/printout/barcodes.ts';
import type { PdfCanvas, Rectangle } from '../../src/printout/pdfWriter.ts';
import { labelsPdf, type Label, type LabelOptions, type LabelSize } from '../../src/printout/labels.ts';
import { BANDS } from '../../src/printout/labelFaces.ts';
import { code128Data, labelsZpl, zplText } from '../../src/printout/zpl.ts';
import {
  containerLabels,
  equipmentLabels,
  lactose,
  lotLabel,
  quinn,
  roomLabels,
  sampleLabel,
} from './labelData.ts';

const OUTPUT = fileURLToPath(new URL('../../../.test-output/labels/', import.meta.url));
const NOTO_CJK = '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc';
const DEJAVU = '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';
const ZONE = 'Asia/Shanghai';

/** pdftotext and pdftoppm read what was printed back (poppler-utils; CI installs it). */
const POPPLER = ['pdftotext', 'pdftoppm'].every((tool) => !spawnSync(tool, ['-v']).error);

const printing = (size: LabelSize, more: Partial<LabelOptions> = {}): LabelOptions => ({
  timeZone: ZONE,
  language: 'en',
  printedAt: '2026-12-08T01:00:00Z',
  printedBy: quinn,
  size,
  ...more,
});

async function save(name: string, bytes: Buffer): Promise<string> {
  await mkdir(OUTPUT, { recursive: true });
  const file = join(OUTPUT, name);
  await writeFile(file, bytes);
  return file;
}

/** Each page's text as pdftotext reads it, every run of white space made one space. */
function pagesOf(file: string): string[] {
  const run = spawnSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  return run.stdout
    .split('\f')
    .slice(0, -1)
    .map((page) => page.replace(/\s+/g, ' '));
}

/** Every kind of label, each status once: the sheet each size is tried with. */
const everyLabel = (): Label[] => [
  lotLabel('quarantine'),
  lotLabel('sampled'),
  lotLabel('released'),
  lotLabel('rejected'),
  lotLabel('expired'),
  lotLabel('recalled'),
  lotLabel('returned'),
  ...containerLabels('quarantine'),
  sampleLabel(),
  ...equipmentLabels(),
  ...roomLabels(),
];

const STATUS_WORDS = [
  'QUARANTINE',
  'SAMPLED',
  'RELEASED',
  'REJECTED',
  'EXPIRED',
  'RECALLED',
  'RETURNED',
  'QUARANTINE',
  'QUARANTINE',
  'QUARANTINE',
  'SAMPLE',
  'CLEAN',
  'DIRTY',
  'IN USE',
  'OUT OF SERVICE',
  'UNDER MAINTENANCE',
  'CLEARED',
  'IN USE',
  'TO CLEAN',
];

describe('Feature: printable GMP status labels', () => {
  for (const size of ['A6', 'A7', 'printer'] as const) {
    describe(`Scenario: every kind of label on ${size}`, () => {
      let pages: string[];
      before(async function () {
        const file = await save(`labels-${size}.pdf`, await labelsPdf(everyLabel(), printing(size)));
        if (!POPPLER) this.skip();
        pages = pagesOf(file);
      });

      it('prints one page of the size a label for each label, as one sheet', async () => {
        const pdf = await readFile(join(OUTPUT, `labels-${size}.pdf`));
        assert.equal(pages.length, everyLabel().length);
        const info = spawnSync('pdfinfo', [join(OUTPUT, `labels-${size}.pdf`)], { encoding: 'utf8' });
        const [, w, h] = /Page size:\s+([\d.]+) x ([\d.]+) pts/.exec(info.stdout)!;
        const expected = { A6: [105, 148], A7: [74, 105], printer: [100, 50] }[size];
        assert.deepEqual([Math.round((+w! * 25.4) / 72), Math.round((+h! * 25.4) / 72)], expected);
        assert.match(pdf.subarray(-1024).toString('latin1'), /%%EOF\s*$/);
      });

      it('shows each status word, the lot, its dates and who released it', () => {
        pages.forEach((page, i) => assert.ok(page.includes(STATUS_WORDS[i]!), `page ${i + 1}: ${page}`));
        for (const page of pages.slice(0, 7)) {
          for (const text of ['L-2026-0042', 'EXC-0042', 'DFE-88123', '250 kg', '2028-10-31', '2027-10-31'])
            assert.ok(page.includes(text), `${text} in ${page}`);
          // Received at 08:30 UTC: printed in the plant's zone.
          assert.ok(page.includes('2026-11-24 16:30 UTC+08:00'), page);
        }
        assert.ok(pages[2]!.includes('Released by Quinn Avery (quinn)'), pages[2]);
        assert.ok(pages[2]!.includes('Released 2026-12-01 10:15 UTC+08:00'), pages[2]);
        assert.ok(!pages[0]!.includes('Released by'), pages[0]);
      });

      it('names each container n of N and each sample, piece of equipment and room', () => {
        [1, 2, 3].forEach((n) =>
          assert.ok(pages[6 + n]!.includes(`L-2026-0042-C${n} (${n} of 3)`), pages[6 + n]),
        );
        assert.ok(pages[7]!.includes('25 kg'), pages[7]);
        for (const text of [
          'S-2026-0042-1',
          'L-2026-0042-C2',
          '2026-11-25 09:05 UTC+08:00',
          'Olivia Chen (olivia)',
        ])
          assert.ok(pages[10]!.includes(text), `${text} in ${pages[10]}`);
        assert.ok(pages[11]!.includes('until 2026-12-09 18:00 UTC+08:00'), pages[11]);
        assert.ok(pages[12]!.includes('used for BR-2026-0007'), pages[12]);
        assert.ok(pages[13]!.includes('BR-2026-0008'), pages[13]);
        for (const page of pages.slice(11, 16))
          assert.ok(page.includes('GRN-01') && page.includes('R-104'), page);
        for (const page of pages.slice(16)) assert.ok(page.includes('Granulation room 1'), page);
      });

      it('says on every label when it was printed and that the screen holds the status that counts', () => {
        for (const page of pages) {
          assert.ok(page.includes('Printed 2026-12-08 09:00 UTC+08:00 by Quinn Avery (quinn).'), page);
          assert.ok(page.includes('The status Attest holds now is the one that counts'), page);
        }
      });
    });
  }

  it('puts each status word on its band with a contrast that black-and-white printing keeps', () => {
    // WCAG's relative luminance: what is left of a colour once printed in grey.
    const luminance = (hex: string) => {
      const [r, g, b] = [1, 3, 5].map((i) => {
        const c = parseInt(hex.slice(i, i + 2), 16) / 255;
        return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
      });
      return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
    };
    for (const [word, band] of Object.entries(BANDS)) {
      const [light, dark] = [luminance(band.fill), luminance(band.ink)].sort((a, b) => b - a);
      const contrast = (light! + 0.05) / (dark! + 0.05);
      assert.ok(contrast >= 4.5, `${word}: ${contrast.toFixed(1)}`);
    }
  });

  describe('Scenario: labels in Simplified Chinese', () => {
    it('prints the Chinese texts, with the status word in English too, with a font that holds Chinese', async function () {
      if (!POPPLER || !existsSync(NOTO_CJK)) this.skip();
      const labels = [lotLabel('quarantine'), lotLabel('released'), ...equipmentLabels().slice(0, 1)];
      const pdf = await labelsPdf(labels, printing('A6', { language: 'zh-CN', fontPath: NOTO_CJK }));
      const pages = pagesOf(await save('labels-zh-CN.pdf', pdf));
      assert.ok(pages[0]!.includes('待验') && pages[0]!.includes('QUARANTINE'), pages[0]);
      assert.ok(pages[0]!.includes('批号') && pages[0]!.includes('L-2026-0042'), pages[0]);
      assert.ok(pages[1]!.includes('合格') && pages[1]!.includes('放行人'), pages[1]);
      assert.ok(
        pages[2]!.includes('已清洁') && pages[2]!.includes('有效至 2026-12-09 18:00 UTC+08:00'),
        pages[2],
      );
      assert.ok(pages[0]!.includes('以 Attest 系统当前状态为准'), pages[0]);
    });

    it('prints in English where the font cannot print Chinese', async function () {
      if (!POPPLER) this.skip();
      for (const fontPath of [null, ...(existsSync(DEJAVU) ? [DEJAVU] : [])]) {
        const pdf = await labelsPdf(
          [lotLabel('quarantine')],
          printing('A7', { language: 'zh-CN', fontPath }),
        );
        const [page] = pagesOf(await save('labels-zh-CN-without-font.pdf', pdf));
        assert.ok(page!.includes('QUARANTINE') && page!.includes('Lot L-2026-0042'), page);
        assert.ok(!page!.includes('U+'), page);
      }
    });
  });

  describe('Scenario: the barcodes', () => {
    it('encodes Code 128 as the standard bar pattern of a known value', () => {
      // LOT-7 in code set B: start B, L (44), O (47), T (52), - (13), 7 (23), check 565 mod 103 = 50, stop.
      const expected = ['211214', '132131', '133121', '213311', '122132', '312131', '231131', '2331112'];
      assert.deepEqual(code128('LOT-7').join(''), expected.join(''));
    });

    it('draws the bars of the lot number as vectors whose widths are its Code 128 pattern', async function () {
      if (!POPPLER) this.skip();
      const file = await save('lot-label-A6.pdf', await labelsPdf([lotLabel('released')], printing('A6')));
      const pdf = await readFile(file);
      assert.ok(!pdf.includes('/Subtype /Image'), 'no raster image');
      const widths = barWidthsOnPage(file);
      const pattern = code128('L-2026-0042');
      const module = widths.reduce((a, b) => a + b, 0) / pattern.reduce((a, b) => a + b, 0);
      assert.deepEqual(
        widths.map((w) => Math.round(w / module)),
        pattern,
      );
    });

    it('draws exactly the dark modules of the QR code, inside its quiet zone', () => {
      const drawn: Rectangle[] = [];
      const canvas = { rectangles: (r: Rectangle[]) => drawn.push(...r) } as unknown as PdfCanvas;
      const matrix = qrCode('L-2026-0042');
      assert.equal(matrix.length, 21);
      const module = 1;
      drawQrCode(canvas, 'L-2026-0042', { x: 0, y: 0, size: (21 + 2 * QR_QUIET_ZONE) * module });
      const seen = matrix.map((row) => row.map(() => false));
      for (const [x, y, w, h] of drawn) {
        assert.equal(h, module);
        for (let c = x; c < x + w; c++) seen[y - QR_QUIET_ZONE]![c - QR_QUIET_ZONE] = true;
      }
      assert.deepEqual(seen, matrix);
      // The three finder patterns: a dark 7 x 7 ring in each corner but the bottom right.
      for (const [r, c] of [
        [0, 0],
        [0, 14],
        [14, 0],
      ])
        assert.ok(
          matrix[r! + 0]![c! + 6] &&
            matrix[r! + 6]![c! + 0] &&
            !matrix[r! + 1]![c! + 1] &&
            matrix[r! + 3]![c! + 3],
        );
    });
  });

  describe('Scenario: ZPL for Zebra printers', () => {
    it('writes a known label exactly', () => {
      const zpl = labelsZpl([lotLabel('rejected')], printing('printer'));
      assert.equal(
        zpl,
        [
          '^XA',
          '^CI28',
          '^PW800',
          '^LL400',
          '^LH0,0',
          '^FO16,16^GB768,72,72^FS',
          '^FO16,22^A0N,48,48^FB768,1,0,C^FH^FR^FDREJECTED^FS',
          '^FO16,66^A0N,18,18^FB768,1,0,C^FH^FR^FDDo not use: rejected by QA^FS',
          '^FO16,96^A0N,22,22^FB584,1,0,L^FH^FDLactose monohydrate, 200 mesh^FS',
          '^FO16,120^A0N,18,18^FB150,1,0,L^FH^FDMaterial^FS',
          '^FO170,120^A0N,18,18^FB430,1,0,L^FH^FDEXC-0042^FS',
          '^FO16,140^A0N,18,18^FB150,1,0,L^FH^FDLot^FS',
          '^FO170,140^A0N,18,18^FB430,1,0,L^FH^FDL-2026-0042^FS',
          '^FO16,160^A0N,18,18^FB150,1,0,L^FH^FDSupplier lot^FS',
          '^FO170,160^A0N,18,18^FB430,1,0,L^FH^FDDFE-88123^FS',
          '^FO16,180^A0N,18,18^FB150,1,0,L^FH^FDQuantity^FS',
          '^FO170,180^A0N,18,18^FB430,1,0,L^FH^FD250 kg^FS',
          '^FO16,200^A0N,18,18^FB150,1,0,L^FH^FDReceived^FS',
          '^FO170,200^A0N,18,18^FB430,1,0,L^FH^FD2026-11-24 16:30 UTC+08:00^FS',
          '^FO16,220^A0N,18,18^FB150,1,0,L^FH^FDExpiry date^FS',
          '^FO170,220^A0N,18,18^FB430,1,0,L^FH^FD2028-10-31^FS',
          '^FO16,240^A0N,18,18^FB150,1,0,L^FH^FDRetest date^FS',
          '^FO170,240^A0N,18,18^FB430,1,0,L^FH^FD2027-10-31^FS',
          '^FO624,96^BQN,2,4^FH^FDMA,L-2026-0042^FS',
          '^FO16,304^BY2^BCN,40,N,N,N^FDL-2026-0042^FS',
          '^FO16,352^A0N,15,15^FB768,1,0,L^FH^FDPrinted 2026-12-08 09:00 UTC+08:00 by Quinn Avery (quinn).^FS',
          '^FO16,370^A0N,12,12^FB768,1,0,L^FH^FDThe status Attest holds now is the one that counts: this label may be out of date; check the screen.^FS',
          '^XZ',
        ].join('\n'),
      );
    });

    it('escapes what would end a field or start a command, and sends UTF-8 as it is', () => {
      assert.equal(zplText('A^B~C_D\\E\nF 中'), 'A_5EB_7EC_5FD_5CE F 中');
      assert.equal(code128Data('A>B^C~D'), 'A>0B><C>=D');
      const zpl = labelsZpl(
        [{ kind: 'room', code: 'R^1', name: 'Salle de pesée ~2', status: 'cleared' }],
        printing('printer'),
      );
      assert.match(zpl, /\^FDSalle de pesée _7E2\^FS/);
      assert.match(zpl, /\^BCN,40,N,N,N\^FDR><1\^FS/);
      assert.match(zpl, /\^FH\^FDMA,R_5E1\^FS/);
      assert.equal(zpl.match(/\^XA/g)!.length, 1);
      assert.ok(zpl.endsWith('^XZ'));
    });

    it('closes up the rows of a label with many fields, and refuses a line too long for the label', () => {
      const zpl = labelsZpl([containerLabels('released')[0]!], printing('printer'));
      const rows = [...zpl.matchAll(/\^FO170,(\d+)\^A0N,(\d+),/g)].map((m) => [Number(m[1]), Number(m[2])]);
      assert.equal(rows.length, 10);
      assert.ok(
        rows.every(([y, size]) => y! + size! <= 304),
        JSON.stringify(rows),
      );
      assert.match(zpl, /\^FDQuinn Avery \(quinn\)\^FS/);
      const long: Label = {
        kind: 'room',
        code: 'R-104',
        name: 'Granulation room '.repeat(6),
        status: 'cleared',
      };
      assert.throws(
        () => labelsZpl([roomLabels()[0]!, long], printing('printer')),
        /The label \/labels\/1 does not fit its size; print it on a larger one/,
      );
    });

    it('writes one format for each label of a sheet', () => {
      const zpl = labelsZpl(containerLabels(), printing('printer'));
      assert.equal(zpl.match(/\^XA/g)!.length, 3);
      assert.equal(zpl.match(/\^XZ/g)!.length, 3);
      assert.match(zpl, /L-2026-0042-C3 \(3 of 3\)/);
    });
  });

  describe('Scenario: labels that cannot be printed as they should', () => {
    it('refuses them with a pointer to each fault, for the PDF and for ZPL alike', async () => {
      const bad: Label[] = [
        { kind: 'lot', ...lactose(), lotNumber: 'L-2026-0042é', expiryDate: '31.10.2028' },
        {
          kind: 'container',
          lot: lactose(),
          container: { code: 'C-1', number: 4, of: 3, quantity: null },
        },
        {
          kind: 'equipment',
          code: 'GRN-01',
          name: 'Granulator',
          room: null,
          status: 'clean',
          cleanUntil: 'soon',
        },
      ];
      const pointers = [
        '/labels/0/lotNumber',
        '/labels/0/expiryDate',
        '/labels/1/container/number',
        '/labels/2/cleanUntil',
      ];
      for (const attempt of [
        () => labelsPdf(bad, printing('A6')),
        async () => labelsZpl(bad, printing('printer')),
      ]) {
        await assert.rejects(attempt, (error: unknown) => {
          assert.ok(error instanceof InputError);
          assert.deepEqual(
            error.errors.map((e) => e.pointer),
            pointers,
          );
          return true;
        });
      }
      await assert.rejects(() => labelsPdf([], printing('A6')), /\/labels must hold at least one label/);
    });

    it('refuses a label whose text would not fit its size even in the smallest letters, rather than cut it', async () => {
      const long = {
        kind: 'room',
        code: 'R-104',
        name: 'Granulation room '.repeat(60),
        status: 'cleared',
      } as const;
      await assert.rejects(
        () => labelsPdf([roomLabels()[0]!, long], printing('printer')),
        /The label \/labels\/1 does not fit its size; print it on a larger one/,
      );
      await labelsPdf([long], printing('A6'));
    });
  });
});

/**
 * The widths, in pixels, of the bars and spaces of the page's Code 128 symbol: the page is rendered
 * in grey at 600 dpi, and the pixel rows read across: bars are the one pattern of many dark runs
 * that repeats row after row all the way down (text and QR code rows change every few rows).
 */
function barWidthsOnPage(file: string): number[] {
  const root = file.replace(/\.pdf$/, '-600dpi');
  const run = spawnSync('pdftoppm', ['-gray', '-r', '600', '-singlefile', file, root], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  const image = readFileSync(`${root}.pgm`);
  const header = /^P5\s+(\d+)\s+(\d+)\s+255\s/.exec(image.subarray(0, 40).toString('latin1'))!;
  const [width, height] = [Number(header[1]), Number(header[2])];
  const start = header[0].length;
  const rows = new Map<string, number>();
  for (let y = 0; y < height; y += 4) {
    const runs: number[] = [];
    let dark = false;
    let length = 0;
    let started = false;
    for (let x = 0; x < width; x++) {
      const isDark = image[start + y * width + x]! < 128;
      if (!started) {
        if (!isDark) continue;
        started = true;
        dark = true;
        length = 0;
      }
      if (isDark === dark) length++;
      else {
        runs.push(length);
        dark = isDark;
        length = 1;
      }
    }
    if (started && dark) runs.push(length);
    if (runs.length > 10) rows.set(runs.join(','), (rows.get(runs.join(',')) ?? 0) + 1);
  }
  const [bars] = [...rows].reduce((a, b) => (b[1] > a[1] ? b : a));
  return bars.split(',').map(Number);
}
