/**
 * `npm run bench [-- --json] [-- --only event_store|lambdas|data_plane]`: how long one command takes on
 * our event store, against the floor of the same dynalite and against Castore, at 1, 1,000 and
 * 10,000 events of history; then each Lambda function's bundle size and module initialisation
 * time (bench/lambda-bundles.ts); then the data plane on a running `npm start`: the proxy, the
API, dispatches and bursts (bench/data-plane/data-plane.ts). Prints tables and PASS/FAIL lines for the design goals; with
 * --json the last line of stdout is the results object ({ event_store, lambdas, data_plane }, the parts
 * that ran). Progress goes to stderr so stdout stays parseable.
 */
import './quiet-aws-sdk.ts';
import { performance } from 'node:perf_hooks';
import { startEmbeddedDynamo } from '../infra/local/embedded-dynamodb.ts';
import { castoreStream, createCastoreTable } from './castore-subject.ts';
import { floorSubject, itemBytes, latestItem } from './floor.ts';
import { evaluateGoals } from './goals.ts';
import { lambdaGoals, lambdaRows, measureLambdas } from './lambda-bundles.ts';
import { measure, type Summary } from './measure.ts';
import { oursStream, type OursStream } from './ours-subject.ts';
import { HISTORIES, type BenchReport, type BenchResults, type History, type Numbers } from './results.ts';
import { countRoundTrips } from './round-trip-counter.ts';
import { API_CONNECTIONS, measureDataPlane, PROXY_CONNECTIONS, type DataPlaneResults } from './data-plane/data-plane.ts';
import { dataPlaneGoals } from './data-plane/data-plane-goals.ts';
import { dataPlaneEventRows, dataPlaneRows } from './data-plane/data-plane-table.ts';

const CASTORE_TABLE = 'bench-castore-events';
/** Ours, the floor and Castore at 1 event are cheap: many samples and a long warm-up (JIT, sockets). */
const ITERATIONS = 300;
const WARMUP = 50;
/** Castore replays the whole stream per command; fewer samples keep the run under ~3 minutes. */
const CASTORE_ITERATIONS = { 1000: 100, 10000: 40 } as const;
const CASTORE_WARMUP = { 1000: 10, 10000: 5 } as const;

const json = process.argv.includes('--json');
const PARTS = ['event_store', 'lambdas', 'data_plane'] as const;
type Part = (typeof PARTS)[number];
const only = onlyPart(process.argv.slice(2));
const progress = (message: string): void => void process.stderr.write(`${message}\n`);
const seconds = (since: number): string => `${((performance.now() - since) / 1000).toFixed(1)} s`;

function numbers(summary: Summary): Numbers {
  return { p50_ms: summary.p50_ms, p99_ms: summary.p99_ms, round_trips: summary.round_trips };
}

/** `--only <part>` or `--only=<part>`; undefined runs every part. */
function onlyPart(args: string[]): Part | undefined {
  const index = args.findIndex((arg) => arg === '--only' || arg.startsWith('--only='));
  if (index === -1) return undefined;
  const arg = args[index]!;
  const value = arg === '--only' ? args[index + 1] : arg.slice('--only='.length);
  const part = PARTS.find((p) => p === value);
  if (!part) throw new Error(`--only takes one of ${PARTS.join(', ')} (got ${value ?? 'nothing'})`);
  return part;
}

async function main(): Promise<void> {
  const started = performance.now();
  const report: BenchReport = {};
  const runs = (part: Part): boolean => only === undefined || only === part;
  if (runs('event_store')) report.event_store = await eventStore();
  if (runs('lambdas')) {
    const since = performance.now();
    const lambdas = await measureLambdas(progress);
    progress(`lambdas: measured in ${seconds(since)}`);
    report.lambdas = lambdas;
    console.log('\nEach Lambda function: esbuild bundle as the CDK makes it (AWS SDK bundled), and `await import` of it in a fresh node process. Goals: bundle <= 1 MB, initialisation <= 150 ms.\n');
    console.log(table(lambdaRows(lambdas)));
    console.log('');
    for (const goal of lambdaGoals(lambdas)) console.log(`${goal.pass ? 'PASS' : 'FAIL'}  ${goal.text}`);
  }
  if (runs('data_plane')) report.data_plane = await dataPlane();
  console.log(`\nTotal ${seconds(started)}.`);
  if (json) console.log(JSON.stringify(report));
}

async function eventStore(): Promise<BenchResults['event_store']> {
  const dynamo = await startEmbeddedDynamo();
  try {
    const { client, tables } = dynamo;
    // Every subject uses this one client, so all see the same HTTP agent and settings.
    const counter = countRoundTrips(client);
    await createCastoreTable(client, CASTORE_TABLE);

    // Setup first, so the writes of building 10,000-event streams do not overlap any timing.
    const ours = {} as Record<`${History}`, OursStream>;
    for (const history of HISTORIES) {
      const since = performance.now();
      ours[`${history}`] = await oursStream(client, tables.events, `ours-${history}`, history);
      progress(`ours: ${history} events built in ${seconds(since)}`);
    }
    // The floor writes an item the size of the batch one of our commands appends.
    await ours['1'].run();
    const template = await latestItem(client, tables.events, ours['1'].streamId);
    await ours['1'].reset();
    const floor = await floorSubject(client, tables.events, template);
    const castore = {} as Record<`${History}`, Awaited<ReturnType<typeof castoreStream>>>;
    for (const history of HISTORIES) {
      const since = performance.now();
      castore[`${history}`] = await castoreStream(client, CASTORE_TABLE, `castore-${history}`, history);
      progress(`castore: ${history} events built in ${seconds(since)}`);
    }

    // The cheap subjects run interleaved, so the ones the goals compare share the same conditions.
    let since = performance.now();
    const measured = await measure(
      { ours1: ours['1'], ours1000: ours['1000'], ours10000: ours['10000'], floor, castore1: castore['1'] },
      { iterations: ITERATIONS, warmup: WARMUP, counter },
    );
    progress(`ours, floor and castore 1: measured in ${seconds(since)}`);
    const castoreSummaries = { 1: measured.castore1 } as Record<`${History}`, Summary>;
    for (const history of [1000, 10000] as const) {
      since = performance.now();
      const { subject } = await measure({ subject: castore[`${history}`] }, { iterations: CASTORE_ITERATIONS[history], warmup: CASTORE_WARMUP[history], counter });
      castoreSummaries[`${history}`] = subject;
      progress(`castore ${history}: measured in ${seconds(since)}`);
    }
    const oursSummaries: Record<`${History}`, Summary> = { 1: measured.ours1, 1000: measured.ours1000, 10000: measured.ours10000 };

    const results: BenchResults = {
      event_store: {
        floor_p50_ms: measured.floor.p50_ms,
        ours: { 1: numbers(oursSummaries['1']), 1000: numbers(oursSummaries['1000']), 10000: numbers(oursSummaries['10000']) },
        castore: { 1: numbers(castoreSummaries['1']), 1000: numbers(castoreSummaries['1000']), 10000: numbers(castoreSummaries['10000']) },
      },
    };

    const rows: string[][] = [['store', 'history', 'p50 ms', 'p99 ms', 'round trips', 'samples']];
    for (const [name, summaries] of [['ours', oursSummaries], ['castore', castoreSummaries]] as const) {
      for (const history of HISTORIES) rows.push(row(name, history.toLocaleString('en-US'), summaries[`${history}`]));
    }
    rows.push(row('floor', 'Query+Put', measured.floor));
    console.log(`\nOne command (load state, decide, append) on in-memory dynalite; our batch item is ${itemBytes(template)} bytes.\n`);
    console.log(table(rows));
    console.log('');
    for (const goal of evaluateGoals(results)) console.log(`${goal.pass ? 'PASS' : 'FAIL'}  ${goal.text}`);
    return results.event_store;
  } finally {
    await dynamo.close();
  }
}

async function dataPlane(): Promise<DataPlaneResults> {
  const since = performance.now();
  const results = await measureDataPlane(progress);
  progress(`data_plane: measured in ${seconds(since)}`);
  console.log(`\nThe data plane on \`npm start\` (a child process), autocannon in this one: ${PROXY_CONNECTIONS} connections to the proxies, ${API_CONNECTIONS} to the API.\n`);
  console.log(table(dataPlaneRows(results)));
  console.log('');
  console.log(table(dataPlaneEventRows(results)));
  console.log('');
  for (const goal of dataPlaneGoals(results)) console.log(`${goal.pass ? 'PASS' : 'FAIL'}  ${goal.text}`);
  return results;
}

function row(name: string, history: string, s: Summary): string[] {
  return [name, history, s.p50_ms.toFixed(3), s.p99_ms.toFixed(3), s.round_trips.toFixed(2), String(s.samples)];
}

/** Right-aligned columns after the first, like any benchmark table. */
function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((r) => r[column]!.length)));
  return rows
    .map((r, index) => {
      const line = r.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ');
      return index === 0 ? `${line}\n${'-'.repeat(line.length)}` : line;
    })
    .join('\n');
}

await main();
