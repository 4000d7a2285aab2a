import { t, type MessageKey } from '@attest/task-form/i18n';

export interface TemplateVersion {
  id: string;
  templateId: string;
  version: string;
  kind: string;
  title: string;
  description: string;
  status: TemplateStatus;
  contentHash: string;
  /** The package passed every check when last saved; only then may it be submitted. */
  compiles: boolean;
  numbering: string;
  roles: string[];
  retention: string;
  recordDue: string | null;
  parameters: Record<string, string | number | boolean>;
  changeReason: string;
  forms: string[];
  createdAt: string;
  createdBy: string;
  approvedAt: string | null;
  approvedBy: string | null;
  effectiveAt: string | null;
  definitionId: string | null;
}

export type TemplateStatus = 'draft' | 'in_review' | 'approved' | 'effective' | 'superseded' | 'retired';

export const STATUS_KEYS: Record<TemplateStatus, MessageKey> = {
  draft: 'admin.status.draft',
  in_review: 'admin.status.in_review',
  approved: 'admin.status.approved',
  effective: 'admin.status.effective',
  superseded: 'admin.status.superseded',
  retired: 'admin.status.retired',
};
export const templateStatusLabel = (status: string) =>
  status in STATUS_KEYS ? t(STATUS_KEYS[status as TemplateStatus]) : status;

/** A version's lifecycle status as a coloured badge (D1). */
export const StatusBadge = (props: { status: string }) => (
  <span class={`badge lifecycle ${props.status}`} data-status={props.status}>
    {templateStatusLabel(props.status)}
  </span>
);

/** Orders versions like numbers: 1.10.0 after 1.9.0. */
export function compareVersions(a: string, b: string): number {
  const [x, y] = [a, b].map((v) => v.split('.').map(Number));
  for (let i = 0; i < 3; i++) if (x![i] !== y![i]) return (x![i] ?? 0) - (y![i] ?? 0);
  return 0;
}

export const versionHref = (v: { templateId: string; version: string }) =>
  `#/template/${encodeURIComponent(v.templateId)}/${encodeURIComponent(v.version)}`;
