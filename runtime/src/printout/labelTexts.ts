/** The languages a label prints in. */
export type LabelLanguage = 'en' | 'zh-CN';

/** The status words of labels: what a person reads from across the room. */
export type StatusWord =
  | 'quarantine'
  | 'sampled'
  | 'released'
  | 'rejected'
  | 'expired'
  | 'recalled'
  | 'returned'
  | 'sample'
  | 'clean'
  | 'dirty'
  | 'inUse'
  | 'outOfService'
  | 'underMaintenance'
  | 'cleared'
  | 'toClean';

export interface LabelTexts {
  status: Record<StatusWord, string>;
  /** What a person may do with what carries the label. */
  use: Record<StatusWord, string>;
  material: string;
  lot: string;
  supplierLot: string;
  quantity: string;
  received: string;
  expiry: string;
  retest: string;
  releasedBy: string;
  releasedAt: string;
  container: string;
  containerOf: (n: number, of: number) => string;
  sample: string;
  sampled: string;
  sampledBy: string;
  equipment: string;
  room: string;
  batch: string;
  lastBatch: string;
  cleanUntil: (time: string) => string;
  usedFor: (batch: string) => string;
  none: string;
  printed: (time: string, by: string) => string;
  /** A printed label may be out of date: the status the database holds is the one that counts. */
  screenIsTheTruth: string;
}

const EN: LabelTexts = {
  status: {
    quarantine: 'QUARANTINE',
    sampled: 'SAMPLED',
    released: 'RELEASED',
    rejected: 'REJECTED',
    expired: 'EXPIRED',
    recalled: 'RECALLED',
    returned: 'RETURNED',
    sample: 'SAMPLE',
    clean: 'CLEAN',
    dirty: 'DIRTY',
    inUse: 'IN USE',
    outOfService: 'OUT OF SERVICE',
    underMaintenance: 'UNDER MAINTENANCE',
    cleared: 'CLEARED',
    toClean: 'TO CLEAN',
  },
  use: {
    quarantine: 'Do not use: awaiting QC and QA release',
    sampled: 'Do not use: sampled, awaiting QC result',
    released: 'Released for use in production',
    rejected: 'Do not use: rejected by QA',
    expired: 'Do not use: past its expiry date',
    recalled: 'Do not use: recalled',
    returned: 'Do not use: returned, awaiting QA decision',
    sample: 'QC sample: keep with its lot documents',
    clean: 'Ready for use',
    dirty: 'Do not use: to be cleaned',
    inUse: 'Do not use for another batch',
    outOfService: 'Do not use',
    underMaintenance: 'Do not use',
    cleared: 'Line clearance done: ready for the next batch',
    toClean: 'Do not start a batch: to be cleaned and cleared',
  },
  material: 'Material',
  lot: 'Lot',
  supplierLot: 'Supplier lot',
  quantity: 'Quantity',
  received: 'Received',
  expiry: 'Expiry date',
  retest: 'Retest date',
  releasedBy: 'Released by',
  releasedAt: 'Released',
  container: 'Container',
  containerOf: (n, of) => `${n} of ${of}`,
  sample: 'Sample',
  sampled: 'Sampled',
  sampledBy: 'Sampled by',
  equipment: 'Equipment',
  room: 'Room',
  batch: 'Batch',
  lastBatch: 'Last batch',
  cleanUntil: (time) => `until ${time}`,
  usedFor: (batch) => `used for ${batch}`,
  none: 'none',
  printed: (time, by) => `Printed ${time} by ${by}.`,
  screenIsTheTruth:
    'The status Attest holds now is the one that counts: this label may be out of date; check the screen.',
};

const ZH_CN: LabelTexts = {
  status: {
    quarantine: '待验',
    sampled: '已取样',
    released: '合格',
    rejected: '不合格',
    expired: '已过期',
    recalled: '已召回',
    returned: '退回',
    sample: '样品',
    clean: '已清洁',
    dirty: '待清洁',
    inUse: '使用中',
    outOfService: '停用',
    underMaintenance: '维修中',
    cleared: '已清场',
    toClean: '待清场',
  },
  use: {
    quarantine: '禁止使用：等待检验和质量放行',
    sampled: '禁止使用：已取样，等待检验结果',
    released: '已放行，可用于生产',
    rejected: '禁止使用：质量部门判定不合格',
    expired: '禁止使用：已超过有效期',
    recalled: '禁止使用：已召回',
    returned: '禁止使用：退回，等待质量部门决定',
    sample: '检验样品：与批文件一同保存',
    clean: '可以使用',
    dirty: '禁止使用：待清洁',
    inUse: '不得用于其他批次',
    outOfService: '禁止使用',
    underMaintenance: '禁止使用',
    cleared: '清场完成：可开始下一批',
    toClean: '不得开始生产：待清洁清场',
  },
  material: '物料',
  lot: '批号',
  supplierLot: '供应商批号',
  quantity: '数量',
  received: '接收时间',
  expiry: '有效期至',
  retest: '复验日期',
  releasedBy: '放行人',
  releasedAt: '放行时间',
  container: '容器',
  containerOf: (n, of) => `第 ${n} 件，共 ${of} 件`,
  sample: '样品',
  sampled: '取样时间',
  sampledBy: '取样人',
  equipment: '设备',
  room: '房间',
  batch: '批次',
  lastBatch: '上一批次',
  cleanUntil: (time) => `有效至 ${time}`,
  usedFor: (batch) => `用于 ${batch}`,
  none: '无',
  printed: (time, by) => `打印：${time}，${by}。`,
  screenIsTheTruth: '以 Attest 系统当前状态为准：本标签可能已不是最新状态，请查看屏幕。',
};

export const LABEL_TEXTS: Record<LabelLanguage, LabelTexts> = { en: EN, 'zh-CN': ZH_CN };
