import type { deviceEn } from './device.en.ts';

/** 步骤视图中的设备采集（读取）。 */
export const deviceZh: Record<keyof typeof deviceEn, string> = {
  'device.title': '设备读数',
  'device.hint': '由服务器读取设备，并连同设备的原始应答一起录入数值。以手工输入代替设备读数将记为异常。',
  'device.choose': '设备',
  'device.chooseOne': '请选择设备',
  'device.none': '未登记此类设备。请手工录入数值，该录入将记为异常。',
  'device.state.calibration_due': '校准已到期',
  'device.state.out_of_service': '已停用',
  'device.take': '读取',
  'device.tare': '去皮',
  'device.zero': '置零',
  'device.live': '设备当前读数：{value}',
  'device.stable': '稳定',
  'device.unstable': '不稳定',
  'device.waiting': '正在等待设备…',
  'device.liveProblem': '无实时读数：{message}',
  'device.taken': '{field}：已由 {device} 录入 {value}。',
  'device.tared': '{device} 已去皮。',
  'device.zeroed': '{device} 已置零。',
  'device.entered': '已由 {device} 录入：{value} · 设备应答“{raw}”',
  'device.reasonFirst': '该项已录入数值。请先在下方“{label}”中填写理由，再重新读取。',
} as const;
