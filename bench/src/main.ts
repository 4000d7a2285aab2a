/**
 * `npm run bench -w bench -- <name>`: runs one benchmark, printing what it does along the way and,
 * as the last line, one JSON object with its figures.
 */
type Benchmark = () => Promise<Record<string, unknown>>;

const benchmarks = new Map<string, () => Promise<Benchmark>>([
  ['audit', async () => (await import('./audit.ts')).runAuditBenchmark],
  ['devices', async () => (await import('./devices.ts')).runDevicesBenchmark],
  ['ebr', async () => (await import('./ebr.ts')).runEbrBenchmark],
  ['engine', async () => (await import('./engine.ts')).runEngineBenchmark],
  ['forms', async () => (await import('./forms.ts')).runFormsBenchmark],
  ['http', async () => (await import('./http.ts')).runHttpBenchmark],
  ['web', async () => (await import('./web.ts')).runWebBenchmark],
]);

const name = process.argv[2] ?? '';
const load = benchmarks.get(name);
if (!load) {
  console.error(`Unknown benchmark "${name}"; choose one of: ${[...benchmarks.keys()].join(', ')}`);
  process.exit(2);
}

try {
  const result = await (await load())();
  console.log(JSON.stringify(result));
} catch (error) {
  console.error(`Benchmark ${name} failed:`, error);
  process.exitCode = 1;
}
