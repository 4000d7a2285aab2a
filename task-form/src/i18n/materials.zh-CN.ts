import type { materialsEn } from './materials.en.ts';

/** 步骤视图中物料批次相关的文字（先到期先出建议、未按先到期先出使用批次），简体中文。 */
export const materialsZh: Record<keyof typeof materialsEn, string> = {
  'lot.proposals': '本步骤的物料批次',
  'lot.material': '物料 {material}',
  'lot.fefo': '先到期先出：批次 {lot}，有效期至 {expiry}，库存 {available}。',
  'lot.use': '使用批次 {lot}',
  'lot.none': '{material} 没有在有效期内且有库存的已放行批次。请勿使用其他物料，并通知您的主管。',
  'breach.titleMixed': '需确认的异常',
  'breach.textMixed': '{count, plural, other {完成此步骤时，以下 # 项都将记为异常，由 QA 决定处理。}}',
  'breach.fefoReason': '为何不使用最先到期的批次？（必填）',
  'breach.fefoReasonRequired': '请填写未按先到期先出使用此批次的原因',
};
