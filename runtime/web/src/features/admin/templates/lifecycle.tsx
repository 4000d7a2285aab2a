import { t, type MessageKey } from '@attest/task-form/i18n';
import type { Schemas } from '../../../api/client.ts';

/** A version of a template and where it is in its lifecycle (D1). */
export type TemplateVersion = Schemas['TemplateVersion'];

export type TemplateStatus = TemplateVersion['status'];

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
