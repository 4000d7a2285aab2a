import type { AuditEvent, Dossier, DossierException, DossierValue, Signature } from '@attest/engine';
import { codePoint, COLORS, createPdfWriter, type Cell, type PdfWriter, type Run } from './pdfWriter.ts';
import { plantTime } from './plantTime.ts';

export interface PrintoutOptions {
  /** The plant's IANA time zone: every time is printed in it, with its offset from UTC. */
  timeZone: string;
  /** A TrueType or OpenType font for text beyond what the standard PDF font holds. */
  fontPath?: string | null;
}

/** Internal references, which the appendix leaves to the JSON export. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** How many hex digits of an audit entry's chain hash the appendix prints. */
const HASH_PREFIX = 12;
/** A value in an audit entry's summary is cut after this many characters; the JSON dossier has it whole. */
const SUMMARY_VALUE = 120;

/**
 * The record as a PDF a QA inspector reads and files (D5, D6): the record and its template
 * version, every step with its values and their provenance, values changed after their original
 * entry marked with the original, who changed it, when and why, the exceptions, the signatures
 * with their manifestation (B2), and the audit trail as an appendix. Every page names the record,
 * its template version, its page number and who printed it when, so a loose page can be traced.
 * The same dossier always gives the same bytes.
 */
export async function recordPrintout(dossier: Dossier, options: PrintoutOptions): Promise<Buffer> {
  // Whether a character must be printed as its code point is known only once the text is laid
  // out; the first page then says so, which needs a second layout.
  const first = await render(dossier, options, false);
  return first.substituted ? (await render(dossier, options, true)).pdf : first.pdf;
}

async function render(dossier: Dossier, options: PrintoutOptions, noticeCodePoints: boolean) {
  const at = plantTime(options.timeZone);
  const { record } = dossier;
  const template = record.template
    ? `Template ${record.template.id} ${record.template.version}`
    : `A ${record.kind} record without a template`;
  const w = await createPdfWriter({
    fontPath: options.fontPath ?? null,
    info: {
      title: `${record.number} ${record.title}`,
      author: personName(dossier.generatedBy),
      subject: `Record ${record.number}; ${template}`,
      creationDate: new Date(dossier.generatedAt),
    },
  });

  w.paragraph({ text: `${record.number}  ${record.title}`, bold: true }, 15, 2);
  w.paragraph(
    {
      text: record.template
        ? `${record.template.title}: template ${record.template.id}, version ${record.template.version}`
        : `A ${record.kind} record without a template`,
      color: COLORS.muted,
    },
    10,
    6,
  );
  if (noticeCodePoints) {
    w.notice(
      `Some characters cannot be shown in the standard PDF font and are printed as their Unicode ` +
        `code points, e.g. ${codePoint(0x4e2d)}. To print them as text, configure a font file ` +
        `(setting printout.font).`,
    );
  }
  header(w, dossier, at);
  steps(w, dossier, at);
  exceptions(w, dossier, at);
  reopenings(w, dossier, at);
  signatures(w, dossier, at);
  auditTrail(w, dossier, at);

  const pdf = await w.finish({
    header: [record.number, template],
    footer:
      `Printed by ${personName(dossier.generatedBy)} on ${at(dossier.generatedAt)}; ` +
      `times in ${options.timeZone}`,
  });
  return { pdf, substituted: w.substituted };
}

type At = (instant: string) => string;

function header(w: PdfWriter, dossier: Dossier, at: At) {
  const { record } = dossier;
  const created = dossier.audit.find((e) => e.type === 'record.created');
  const changed = dossier.steps.flatMap((s) => s.values).filter((v) => v.changedAfterEntry).length;
  const active = dossier.signatures.filter((s) => !s.withdrawn).length;
  const rows: [string, string][] = [
    ['Record number', record.number],
    ['Title', record.title],
    ['Status', record.status],
    [
      'Template',
      record.template
        ? `${record.template.id}, version ${record.template.version}: ${record.template.title}`
        : 'none',
    ],
    ['Owner', record.owner ? personName(record.owner) : 'none'],
    ['Created', `${at(record.createdAt)}${created ? ` by ${created.actorName}` : ''}`],
    ['Due', record.dueAt ? `${at(record.dueAt)}${record.overdue ? ' (OVERDUE)' : ''}` : 'none'],
  ];
  if (record.parent) rows.push(['Part of', record.parent.number]);
  if (record.raisedFrom) rows.push(['Raised from', record.raisedFrom.number]);
  if (dossier.reopenings.length) {
    const last = dossier.reopenings.at(-1)!;
    rows.push([
      'Reopened',
      `${count(dossier.reopenings.length, 'time')}; last on ${at(last.at)} by ${personName(last.by)}` +
        (last.closedBy ? `, closed again on ${at(last.closedBy.at)}` : ', not yet approved again'),
    ]);
  }
  if (record.children.length) {
    rows.push(['Records it started', record.children.map((c) => `${c.number} (${c.status})`).join(', ')]);
  }
  rows.push(
    [
      'Contents',
      [
        count(dossier.steps.length, 'step'),
        `${count(changed, 'value')} changed after entry`,
        count(dossier.exceptions.length, 'exception'),
        count(active, 'signature') +
          (active < dossier.signatures.length
            ? ` (and ${dossier.signatures.length - active} withdrawn)`
            : ''),
        count(dossier.audit.length, 'audit-trail entry', 'audit-trail entries'),
      ].join('; '),
    ],
    ['Printed', `${at(dossier.generatedAt)} by ${personName(dossier.generatedBy)}`],
  );
  w.table(
    [
      { title: 'Field', share: 1 },
      { title: 'Value', share: 3.6 },
    ],
    rows.map(([label, value]) => [{ text: label, bold: true }, value]),
    { header: false, grid: false, fontSize: 9.5 },
  );
}

function steps(w: PdfWriter, dossier: Dossier, at: At) {
  w.heading('Steps');
  if (dossier.steps.length === 0) w.paragraph('The record has no steps.');
  const signatureById = new Map(dossier.signatures.map((s) => [s.id, s]));
  dossier.steps.forEach((step, index) => {
    const origin = step.origin === 'flow' ? '' : `, ${step.origin === 'repeat' ? 'repeated' : 'added'}`;
    w.heading(`${index + 1}. ${step.name} (${step.status}${origin})`, 2);
    const facts = [`Opened ${at(step.createdAt)}`];
    if (step.completedAt) {
      facts.push(
        `${step.status === 'completed' ? 'completed' : step.status === 'skipped' ? 'skipped' : 'ended'} ${at(step.completedAt)}` +
          (step.completedBy ? ` by ${personName(step.completedBy)}` : ''),
      );
    }
    if (step.change) {
      // A run-time change (D7): who decided it, when and why, as the exception recording it states.
      facts.push(
        `run-time change (${step.change.kind}) by ${step.change.by ? personName(step.change.by) : 'unknown'} ${at(step.change.at)}, reason: ${step.change.reason}`,
      );
    }
    if (step.form) {
      const title = step.form.title ? ` (${step.form.title})` : '';
      facts.push(`form ${step.form.key}, version ${step.form.version}${title}`);
    }
    w.paragraph({ text: `${facts.join('; ')}.`, color: COLORS.muted }, 8.5, 3);
    if (step.values.length) {
      w.table(
        [
          { title: 'Field', share: 2 },
          { title: 'Value', share: 3.4 },
          { title: 'Source', share: 1.6 },
          { title: 'Entered', share: 1.8 },
          { title: 'Verified', share: 1.8 },
        ],
        step.values.map((v) => [
          field(v),
          valueCell(v, at),
          sourceCell(v),
          v.enteredBy ? [{ text: personName(v.enteredBy) }, { text: at(v.enteredAt) }] : at(v.enteredAt),
          v.verifiedBy
            ? [{ text: personName(v.verifiedBy) }, { text: v.verifiedAt ? at(v.verifiedAt) : '' }]
            : { text: v.critical && v.source === 'manual' ? 'not verified' : '-', color: COLORS.muted },
        ]),
        { fill: (r) => (step.values[r]!.changedAfterEntry ? COLORS.changedFill : null) },
      );
    } else w.paragraph({ text: 'No values were entered in this step.', color: COLORS.muted }, 8.5);
    if (step.exceptions.length) {
      w.paragraph(
        {
          text:
            `Exceptions raised in this step: ` +
            gravestFirst(step.exceptions)
              .map((e) => `${e.severity.toUpperCase()} ${e.type}`)
              .join(', ') +
            ' (see Exceptions).',
          bold: true,
          color: COLORS.alert,
        },
        8.5,
        3,
      );
    }
    for (const id of step.signatureIds) {
      const signature = signatureById.get(id);
      if (signature) w.paragraph(signatureLine(signature), 8.5, 2);
    }
  });
}

function field(v: DossierValue): Cell {
  const runs: Run[] = [{ text: v.label, bold: true }];
  if (v.critical) runs.push({ text: 'Critical', color: COLORS.alert });
  return runs;
}

function valueCell(v: DossierValue, at: At): Cell {
  const runs: Run[] =
    v.naReason !== null
      ? [{ text: 'N/A', bold: true }, { text: `Reason: ${v.naReason}` }]
      : [{ text: shown(v, v.value, v.choice, at) }];
  // Beside the value, where the column is wide enough for the reading's own spacing (E3).
  if (v.device) runs.push({ text: `Raw reading: "${v.device.raw}"`, color: COLORS.muted });
  if (v.changedAfterEntry) {
    runs.push(
      { text: 'CHANGED after original entry', bold: true, color: COLORS.alert },
      { text: `Original value: ${shown(v, v.originalValue, v.originalChoice, at)}` },
      {
        text:
          `Changed by ${v.changedBy ? personName(v.changedBy) : 'unknown'}` +
          (v.changedAt ? ` on ${at(v.changedAt)}` : ''),
      },
      { text: `Reason: ${v.changeReason ?? 'none given'}` },
    );
    if (v.corrections > 1) {
      runs.push({
        text: `Changed ${v.corrections} times; the audit trail holds each change.`,
        color: COLORS.muted,
      });
    }
  }
  return runs;
}

function sourceCell(v: DossierValue): Cell {
  if (v.source === 'device' && v.device) {
    return [
      { text: `Device ${v.device.deviceId}` },
      ...(v.device.channel ? [{ text: `Channel ${v.device.channel}` }] : []),
    ];
  }
  return v.source === 'calculated' ? 'Calculated' : v.source === 'manual' ? 'Manual' : v.source;
}

function exceptions(w: PdfWriter, dossier: Dossier, at: At) {
  w.heading('Exceptions');
  if (dossier.exceptions.length === 0) {
    w.paragraph('No exceptions were raised.');
    return;
  }
  const count = dossier.exceptions.length;
  w.notice(
    {
      text: `${count} ${count === 1 ? 'exception was' : 'exceptions were'} raised on this record.`,
      bold: true,
      color: COLORS.alert,
    },
    COLORS.exceptionFill,
    COLORS.alert,
  );
  w.table(
    [
      { title: 'Severity', share: 1.1 },
      { title: 'Step', share: 1.4 },
      { title: 'Type', share: 1.2 },
      { title: 'Message', share: 3.2 },
      { title: 'Status and decisions', share: 2.6 },
      { title: 'Raised', share: 1.7 },
    ],
    gravestFirst(dossier.exceptions).map((e) => [
      [
        { text: e.severity.toUpperCase(), bold: true, color: COLORS.alert },
        ...(e.blocking ? [{ text: 'Blocking', color: COLORS.alert }] : []),
      ],
      e.step ?? '-',
      e.type,
      [
        { text: e.message },
        ...(e.comment ? [{ text: `Operator’s comment: “${e.comment}”` }] : []),
        ...(e.pointer ? [{ text: `Field ${e.pointer}`, color: COLORS.muted }] : []),
      ],
      [
        { text: e.status, bold: e.blocking && (e.status === 'open' || e.status === 'assessed') },
        ...e.dispositions.map((d) => ({
          text: `${DECIDED[d.action]}${d.deviation ? ` ${d.deviation.number}` : ''}: “${d.comment}” — ${d.signature.text}`,
          color: COLORS.muted,
        })),
      ],
      at(e.raisedAt),
    ]),
    { fill: () => COLORS.exceptionFill },
  );
}

/** QA's decisions on an exception as the printout says them (F4, F5). */
const DECIDED: Record<DossierException['dispositions'][number]['action'], string> = {
  assessed: 'Assessed',
  accepted: 'Accepted',
  deviation: 'Deviation raised',
};

const SEVERITY_RANK: Record<string, number> = { high: 0, medium: 1, low: 2 };

/** Exceptions as a reviewer takes them: the gravest first, then in the order they were raised. */
function gravestFirst(exceptions: DossierException[]): DossierException[] {
  return [...exceptions].sort(
    (a, b) =>
      (SEVERITY_RANK[a.severity] ?? 3) - (SEVERITY_RANK[b.severity] ?? 3) ||
      a.raisedAt.localeCompare(b.raisedAt),
  );
}

function signatureLine(s: Signature): Run {
  const flags = [
    ...(s.withdrawn ? ['WITHDRAWN'] : []),
    ...(s.contentChanged ? ['CONTENT CHANGED SINCE SIGNING'] : []),
    ...(s.precedesReopening ? ['GIVEN BEFORE THE REOPENING'] : []),
  ];
  return flags.length
    ? { text: `Signed: ${s.manifestation.text} [${flags.join(', ')}]`, bold: true, color: COLORS.alert }
    : { text: `Signed: ${s.manifestation.text}` };
}

/** Each reopening after the record was closed (D4): who, when, why, its signature, what closed it again. */
function reopenings(w: PdfWriter, dossier: Dossier, at: At) {
  if (dossier.reopenings.length === 0) return;
  w.heading('Reopenings');
  const signatureById = new Map(dossier.signatures.map((s) => [s.id, s]));
  for (const r of dossier.reopenings) {
    w.paragraph(
      [
        { text: `Reopened on ${at(r.at)} by ${personName(r.by)}, from ${r.previousStatus}. `, bold: true },
        { text: `Reason: ${r.reason}` },
      ],
      9.5,
      2,
    );
    const signature = signatureById.get(r.signatureId);
    if (signature) w.paragraph(signatureLine(signature), 8.5, 2);
    w.paragraph(
      r.closedBy
        ? {
            text: `Closed again by the approval of ${r.closedBy.printedName} (${r.closedBy.username}) on ${at(r.closedBy.at)}`,
          }
        : {
            text: 'STILL REOPENED: a new approval by someone else closes it again',
            bold: true,
            color: COLORS.alert,
          },
      8.5,
      6,
    );
  }
}

function signatures(w: PdfWriter, dossier: Dossier, at: At) {
  w.heading('Signatures');
  if (dossier.signatures.length === 0) {
    w.paragraph('The record has no signatures.');
    return;
  }
  const stepOf = new Map(dossier.steps.map((s) => [s.taskId, s.name]));
  w.table(
    [
      { title: '#', share: 0.4 },
      { title: 'Manifestation', share: 4.2 },
      { title: 'Meaning', share: 1.2 },
      { title: 'Signed', share: 1.9 },
      { title: 'Reason', share: 1.8 },
      { title: 'Status', share: 2.2 },
    ],
    dossier.signatures.map((s, i) => [
      String(i + 1),
      [
        { text: s.manifestation.text, bold: true },
        ...(s.covers
          ? [
              {
                text:
                  (s.covers.pointers.length
                    ? `Covers ${s.covers.pointers.join(', ')} in step `
                    : 'Covers step ') + (stepOf.get(s.covers.taskId) ?? s.covers.taskId),
                color: COLORS.muted,
              },
            ]
          : []),
      ],
      s.meaning,
      at(s.signedAt),
      s.reason ?? '-',
      signatureStatus(s, at),
    ]),
    {
      fill: (r) => {
        const s = dossier.signatures[r]!;
        return s.withdrawn || s.contentChanged || s.precedesReopening ? COLORS.changedFill : null;
      },
    },
  );
}

function signatureStatus(s: Signature, at: At): Cell {
  const runs: Run[] = [];
  if (s.withdrawn) {
    const by =
      s.withdrawn.by === s.signerId
        ? `${s.manifestation.printedName} (${s.manifestation.userId})`
        : s.withdrawn.by;
    runs.push(
      { text: 'WITHDRAWN', bold: true, color: COLORS.alert },
      { text: `on ${at(s.withdrawn.at)} by ${by}` },
      { text: `Reason: ${s.withdrawn.reason}` },
    );
  }
  if (s.contentChanged) {
    runs.push(
      { text: 'CONTENT CHANGED SINCE SIGNING', bold: true, color: COLORS.alert },
      { text: `Signed version ${s.recordVersion}` },
    );
  }
  if (s.precedesReopening) {
    runs.push(
      { text: 'GIVEN BEFORE THE REOPENING', bold: true, color: COLORS.alert },
      { text: `of ${at(s.precedesReopening.at)}` },
    );
  }
  return runs.length ? runs : { text: 'In force; content unchanged', color: COLORS.muted };
}

function auditTrail(w: PdfWriter, dossier: Dossier, at: At) {
  w.newPage();
  w.heading('Appendix: audit trail');
  w.paragraph(
    {
      text:
        `All ${dossier.audit.length} entries of the record's audit trail, oldest first. Each entry ` +
        `counts in the hash chain of the record or of its process. Details are abridged (long values ` +
        `cut, internal ids left out); the record's JSON export holds each entry whole. Hash: the first ` +
        `${HASH_PREFIX} hex digits of the entry's SHA-256 chain hash.`,
      color: COLORS.muted,
    },
    8.5,
  );
  w.table(
    [
      { title: 'Seq', share: 0.9 },
      { title: 'Time', share: 1.6 },
      { title: 'Actor', share: 1.4 },
      { title: 'Event', share: 1.9 },
      { title: 'Reason', share: 1.5 },
      { title: 'Details', share: 3.2 },
      { title: 'Hash', share: 1.5 },
    ],
    dossier.audit.map((e) => [
      // The record's process keeps a hash chain of its own: a sequence number counts within its chain.
      [
        { text: String(e.seq) },
        { text: e.recordType === 'instance' ? 'process' : e.recordType, color: COLORS.muted },
      ],
      at(e.at),
      e.actorName,
      e.type,
      e.reason ?? '',
      summary(e),
      e.hash.slice(0, HASH_PREFIX),
    ]),
    { fontSize: 7 },
  );
  w.paragraph({ text: `End of the printout of ${dossier.record.number}.`, bold: true }, 9);
}

/**
 * An audit entry's payload in a few lines: its field changes as `path: old -> new`, the rest as
 * `key: value`, without the ids of the rows it refers to or the digests of the state a move left
 * (they are for `attest verify`, not for a reader).
 */
function summary(event: AuditEvent): string {
  return Object.entries(event.payload)
    .filter(([key, value]) => !(key.endsWith('Id') && typeof value === 'string' && UUID.test(value)))
    .filter(([key]) => key !== 'state')
    .flatMap(([key, value]) =>
      key === 'changes' && Array.isArray(value)
        ? value.map(
            (c: { path?: unknown; old?: unknown; new?: unknown }) =>
              `${String(c.path)}: ${brief(c.old)} -> ${brief(c.new)}`,
          )
        : [`${key}: ${brief(value)}`],
    )
    .join('; ');
}

function brief(value: unknown): string {
  const text =
    typeof value === 'string'
      ? value
      : Array.isArray(value) && value.length === 0
        ? 'none'
        : Array.isArray(value) && value.every((v) => v === null || typeof v !== 'object')
          ? value.map(String).join(', ')
          : (JSON.stringify(value) ?? 'undefined');
  return text.length > SUMMARY_VALUE ? `${text.slice(0, SUMMARY_VALUE)}…` : text;
}

/**
 * A field's value as printed: a choice by its label with the stored value beside it when they
 * differ, an instant in the plant's zone, anything else with its unit.
 */
function shown(v: DossierValue, value: unknown, choice: string | null, at: At): string {
  if (choice !== null) {
    const stored = valueText(value);
    return choice === stored ? choice : `${choice} (${stored})`;
  }
  if (v.type === 'datetime' && typeof value === 'string' && !Number.isNaN(Date.parse(value)))
    return at(value);
  return withUnit(value, v.unit, v.decimals);
}

function withUnit(value: unknown, unit: string | null, decimals: number | null): string {
  // A number prints with the decimals its field keeps: 80.020 kg was weighed to the gram.
  const text = typeof value === 'number' && decimals !== null ? value.toFixed(decimals) : valueText(value);
  return unit && value !== null && value !== undefined && value !== '' ? `${text} ${unit}` : text;
}

function valueText(value: unknown): string {
  if (value === null || value === undefined || value === '') return '(blank)';
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'Yes' : 'No';
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value) && value.every((v) => v === null || typeof v !== 'object')) {
    return value.map(valueText).join(', ');
  }
  return JSON.stringify(value);
}

const count = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function personName(person: { username: string; printedName: string }): string {
  return `${person.printedName} (${person.username})`;
}
