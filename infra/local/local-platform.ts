/**
 * The whole control plane in one process: DynamoDB (dynalite) on disk or in memory, the
 * event feed delivering to the projector, and the API behind a Node HTTP server.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedDynamo, type EmbeddedDynamo } from './embedded-dynamodb.ts';
import { DynamoEventStore } from '../../shared/adapters/dynamodb/dynamodb-event-store.ts';
import { DynamoRecipeViews } from '../../shared/adapters/dynamodb/dynamodb-recipe-views.ts';
import { MemoryRecipeViews } from '../../shared/adapters/memory/memory-recipe-views.ts';
import { MemoryUsageViews } from '../../shared/adapters/memory/memory-usage-views.ts';
import { DynamoCheckpoints, isCheckpointItem } from '../../shared/adapters/dynamodb/dynamodb-checkpoints.ts';
import { WriteBehindItems } from '../../shared/adapters/dynamodb/write-behind-items.ts';
import { RememberedHeads } from '../../shared/adapters/dynamodb/remembered-heads.ts';
import { RememberedCheckpoints } from '../../shared/adapters/memory/remembered-checkpoints.ts';
import { systemClock, systemRandom } from '../../shared/adapters/node-platform.ts';
import { platformServices } from '../../shared/app/platform-services.ts';
import { limitService } from '../../shared/app/limit-service.ts';
import { ReadModelProjector } from '../../shared/app/consumers/read-model-projector.ts';
import { createApi } from '../../functions/api/create-api.ts';
import type { RateLimitOptions } from '../../functions/api/middlewares/rate-limit.ts';
import type { FailedLoginOptions } from '../../functions/api/middlewares/failed-logins.ts';
import { MAX_BODY_BYTES, tooLargeMessage } from '../../functions/api/middlewares/request-body.ts';
import { LocalEventFeed } from './event-feed.ts';
import { takeCleanStopMark, writeCleanStopMark } from './clean-stop-mark.ts';
import { DeliveryJournal } from './delivery-journal.ts';
import { LOCAL_CONSUMERS } from './local-consumers.ts';
import { feedingEventStore } from './feeding-event-store.ts';
import { httpAdapter, writeResult, type ApiHandler, type HttpAdapter } from './http-adapter.ts';
import { DynamoRunViews } from '../../shared/adapters/dynamodb/dynamodb-run-views.ts';
import { DynamoCatalogViews } from '../../shared/adapters/dynamodb/dynamodb-catalog-views.ts';
import { DynamoUsageViews } from '../../shared/adapters/dynamodb/dynamodb-usage-views.ts';
import { DEFAULT_LIMITS_CHECK_MS, type LimitSettings } from './limit-settings.ts';
import { startPeriodicPass } from './periodic-pass.ts';
import { DynamoTokenViews } from '../../shared/adapters/dynamodb/dynamodb-token-views.ts';
import { DynamoPrincipalViews } from '../../shared/adapters/dynamodb/dynamodb-principal-views.ts';
import { LocalSecretStore } from './local-secret-store.ts';
import { JobRunService } from '../../shared/app/job-run-service.ts';
import { GroupCommit } from '../../shared/app/group-commit.ts';
import { RunLauncher } from '../../shared/app/run-launcher.ts';
import { JobRunReactor } from '../../shared/app/consumers/job-run-reactor.ts';
import { LocalProcessDriver } from './process-driver/local-process-driver.ts';
import { taskSandboxFromEnvironment, type SandboxChoice } from './process-driver/task-sandbox-settings.ts';
import { LocalTimers } from './local-timers.ts';
import { BoundedRunLaunches, LAUNCH_GIVES_WAY_MS, LAUNCH_SLOT_HOLD_MS, LOCAL_LAUNCHES_AT_ONCE } from './bounded-run-launches.ts';
import { LocalJobScheduler } from './local-job-scheduler.ts';
import { recoverJobs } from './job-recovery.ts';
import { PLATFORM_VERSION } from '../../shared/version.ts';
import type { Organization } from '../../shared/domain/identity/organization.ts';
import type { Duplex } from 'node:stream';
import { RouteTable } from './proxy/route-table.ts';
import { createLocalProxy, type LocalProxy } from './proxy/local-proxy.ts';
import { DEFAULT_SERVICE_OPTIONS, LocalServiceRuntime, type LocalServiceRuntimeOptions } from './services/local-service-runtime.ts';
import { ServiceReportRecorder } from '../../shared/app/service-report-recorder.ts';
import { ServiceReactor } from '../../shared/app/consumers/service-reactor.ts';
import { accessCheckedDriver } from '../../shared/app/attachment-gate.ts';
import type { RecipeViews } from '../../shared/ports/recipe-views.ts';
import type { LiveResource } from '../../shared/domain/resource/resource-decider.ts';
import { IdentityService } from '../../shared/app/identity-service.ts';
import { StreamStateCache } from '../../shared/app/stream-state-cache.ts';
import { taskTokenIssuer } from '../../shared/app/task-token-issuer.ts';
import { LocalDaskRuntime } from './dask/local-dask-runtime.ts';
import { LocalDaskCredentials } from './dask/local-dask-credentials.ts';
import { DaskReactor } from '../../shared/app/consumers/dask-reactor.ts';
import { daskAwareDriver } from '../../shared/app/dask-task-environment.ts';
import { DaskService } from '../../shared/app/dask-service.ts';
import { ConsumerPipeline } from '../../shared/app/consumers/consumer-pipeline.ts';
import { SharedFolderReactor } from '../../shared/app/consumers/shared-folder-reactor.ts';
import { startPeriodicAccessRecheck } from './periodic-access-recheck.ts';
import { DynamoDeferrals } from '../../shared/adapters/dynamodb/dynamodb-deferrals.ts';
import { consoleFront, type ConsoleFrontOptions } from './console/console-front.ts';

import { loadOrCreateHostKey } from './ssh/ssh-host-key.ts';
import { startLocalSshServer, type LocalSshServer } from './ssh/local-ssh-server.ts';
import { SshGate } from '../../shared/app/ssh-gate.ts';
import { sshConnectCommand, workspaceLogin } from '../../shared/domain/ssh/ssh-login.ts';

/** How long a clean stop waits for requests under way. */
const SHUTDOWN_GRACE_MS = 10_000;

export interface LocalPlatformOptions {
  /** Where data lives; in memory (and a temporary task directory) when absent: tests. */
  dataDir?: string;
  port: number;
  host?: string;
  rateLimit?: RateLimitOptions;
  /** Failed logins allowed per client address; unlimited when absent. */
  failedLogins?: FailedLoginOptions;
  /** Runs once everything is up, before the API answers anything but 503 (e.g. the admin bootstrap). */
  prepare?: (services: PlatformServices) => Promise<void>;
  /** Grace between SIGTERM and SIGKILL when stopping tasks. */
  stopGraceMs?: number;
  /** Health checks, restarts and idle checks of deployments and workspaces (short ones in tests). */
  services?: LocalServiceRuntimeOptions;
  /** The most each task's log keeps on disk (10 MB by default); older lines are rotated out. */
  taskLogMaxBytes?: number;
  /** Whether tasks run as users of their own; by default decided from the environment (as root, they do). */
  taskIsolation?: SandboxChoice;
  /** How long a views-table write waits to join a round (write-behind-items.ts; `VIEW_WRITE_BEHIND_MS`, 50 by default). */
  viewWriteBehindMs?: number;
  /** The SSH endpoint's port (0: any free one); no SSH endpoint when absent. */
  sshPort?: number;
  /** Prices for usage answers, the length of a usage limit's hour and how often limits are enforced (limit-settings.ts). */
  usage?: LimitSettings;
  /** The installation's organization (`CASSINI_ORG_NAME`); `cassini` by default. */
  organization?: Organization;
  /** The web console at `/` (console-front.ts): where its build is; without it only the API answers there. */
  console?: Pick<ConsoleFrontOptions, 'distDir' | 'building'>;
}

type PlatformServices = ReturnType<typeof platformServices>;

export interface LocalPlatform {
  url: string;
  port: number;
  services: PlatformServices;
  feed: LocalEventFeed;
  db: EmbeddedDynamo;
  driver: LocalProcessDriver;
  /** What tasks can read on this machine, for the start-up message. */
  isolationNotice: string;
  /** What the start caught up on: the whole history (`scanned`) or the streams the delivery journal named. */
  catchUp: { scanned: boolean; streams: number };
  /** The SSH endpoint, when one was asked for: its port and host key fingerprint. */
  ssh?: { port: number; fingerprint: string; publicKey: string };
  handler: ApiHandler;
  close(): Promise<void>;
}

function logError(message: string) {
  return (error: unknown, ...context: unknown[]) => console.error(JSON.stringify({ level: 'error', message, context: context.map(String), error: String(error) }));
}

export async function startLocalPlatform(options: LocalPlatformOptions): Promise<LocalPlatform> {
  const isolation = options.taskIsolation ?? taskSandboxFromEnvironment(process.env);
  // Searchable, not listable: tasks reach their own trees through it, and nothing else in it is open to them.
  if (options.dataDir) isolation.sandbox?.openDirectory(options.dataDir);
  let dbPath: string | undefined;
  if (options.dataDir) {
    dbPath = join(options.dataDir, 'dynamodb');
    mkdirSync(dbPath, { recursive: true, mode: 0o700 });
  }
  const tasksDir = options.dataDir ? join(options.dataDir, 'tasks') : mkdtempSync(join(tmpdir(), 'cassini-tasks-'));
  mkdirSync(tasksDir, { recursive: true, mode: 0o700 });
  const db = await startEmbeddedDynamo({ path: dbPath });
  // This process is the store's only writer, and every append passes through the cache's
  // watch: tokens and users stay in memory, and a revocation is refused on the very next request.
  const identityCache = new StreamStateCache();
  // Each stream's head, too, once read or written: a command loads its stream from memory.
  const rawStore = identityCache.watching(new RememberedHeads(new DynamoEventStore({ client: db.client, tableName: db.tables.events })));
  // The only writer of its views table: what memory fronts answer (recipe and usage views,
  // checkpoints), and the run and token views, whose listings first write what is pending, are
  // written behind, in rounds; a journal line is kept until its round is written.
  const viewWrites = new WriteBehindItems(db.client, db.tables.views, { writeLast: isCheckpointItem, onError: logError('writing views behind failed'), ...(options.viewWriteBehindMs === undefined ? {} : { delayMs: options.viewWriteBehindMs }) });
  // Listings are answered from memory, kept by the projector's writes.
  const views = await MemoryRecipeViews.load(new DynamoRecipeViews(db.client, db.tables.views, viewWrites));
  const runViews = new DynamoRunViews(db.client, db.tables.views, viewWrites);
  // Checkpoints too: each is read once, then every delivery reads it from memory.
  const checkpoints = new RememberedCheckpoints(new DynamoCheckpoints(db.client, db.tables.views, viewWrites));
  const catalogViews = new DynamoCatalogViews(db.client, db.tables.views);
  const tokenViews = new DynamoTokenViews(db.client, db.tables.views, viewWrites);
  const principalViews = new DynamoPrincipalViews(db.client, db.tables.views);
  // Usage folds too: the limit windows of GET /api/user and the usage answers read no table. There
  // is one per run ever made: they are read behind, and only what needs them all waits for it.
  const usageViews = MemoryUsageViews.readInBackground(new DynamoUsageViews(db.client, db.tables.views, viewWrites), logError('reading the usage views failed'));
  // Secret values: files of mode 0600 under <DATA_DIR>/secrets (a temporary directory without one).
  const secretStore = new LocalSecretStore(options.dataDir ? { dir: join(options.dataDir, 'secrets') } : {});

  // The port is chosen first: route URLs and the tasks' SATURN_BASE_URL name it. Until the
  // platform is ready, every request gets 503.
  const server: Server = createServer();
  const ready: { serve?: (req: IncomingMessage, res: ServerResponse) => Promise<void>; proxy?: LocalProxy } = {};
  // WebSockets to deployments and workspaces (Jupyter's kernels); the API has none.
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const subdomain = ready.proxy?.matches(req.headers.host);
    if (subdomain === undefined) return void socket.destroy();
    void ready.proxy!.handleUpgrade(req, socket, head, subdomain);
  });
  server.on('request', (req, res) => {
    const subdomain = ready.proxy?.matches(req.headers.host);
    if (subdomain !== undefined) return void ready.proxy!.handleRequest(req, res, subdomain);
    if (ready.serve) return void ready.serve(req, res);
    writeResult(res, { statusCode: 503, headers: { 'content-type': 'application/json', 'retry-after': '1' }, body: JSON.stringify({ code: 'starting', message: 'Cassini is starting; try again in a moment.' }) });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  // The SSH endpoint's port is chosen early too: `state.ssh` names it.
  const hostKey = options.sshPort === undefined ? undefined : loadOrCreateHostKey(options.dataDir);
  const sshReady: { server?: LocalSshServer; port?: number } = {};

  // The feed's consumers need the stores that publish to the feed: tied through this reference.
  const feedRef: { current?: LocalEventFeed } = {};
  const feedOf = () => feedRef.current!;
  // Every append is journaled until delivered: a start after a crash delivers what the journal names, not the history.
  const journal = options.dataDir ? DeliveryJournal.open(join(options.dataDir, 'journal')) : undefined;
  // A stream written first here has no checkpoint yet: its deliveries read none.
  const onStreamCreated = (streamId: string) => checkpoints.streamCreated(streamId);
  const deliveryPersisted = () => viewWrites.persisted();
  const apiStore = feedingEventStore(rawStore, feedOf, { awaitDelivery: true, journal, onStreamCreated, deliveryPersisted });
  const runtimeStore = feedingEventStore(rawStore, feedOf, { awaitDelivery: false, journal, onStreamCreated, deliveryPersisted });
  const ports = {
    views,
    runViews,
    clock: systemClock,
    random: systemRandom,
    routeUrl: (subdomain: string) => `http://${subdomain}.localhost:${port}/`,
    ...(options.sshPort === undefined ? {} : { shellAccess: (resource: LiveResource) => sshConnectCommand(workspaceLogin(resource.name, resource.owner), 'localhost', sshReady.port ?? options.sshPort!) }),
  };
  const usage = options.usage ?? {};
  const usagePorts = { usageViews, ...(options.organization ? { organization: options.organization } : {}), ...(usage.prices ? { prices: usage.prices } : {}), ...(usage.limitHourMs ? { limitHourMs: usage.limitHourMs } : {}) };
  // One queue per stream for the whole process: the runtime's finished runs and schedule ticks join the API's dispatches and starts in groups instead of racing them.
  const commits = new GroupCommit(apiStore);
  const services = platformServices({ ...ports, ...usagePorts, catalogViews, tokenViews, principalViews, secretStore, store: apiStore, identityCache, commits });
  // Scheduled runs are held against the usage limits too: one a limit refuses is recorded skipped.
  const runtimeLimits = limitService({ ...ports, ...usagePorts, store: runtimeStore });
  const runtimeJobs = new JobRunService({ ...ports, store: runtimeStore, limits: runtimeLimits, commits });

  // Tasks read their secrets from the same store, share folders under <DATA_DIR>/shared-folders
  // (a temporary directory without one), and get a SATURN_TOKEN acting as their owner.
  // Every launch (a replaced replica or worker, a run after its backoff) decides access to the task's attachments again.
  // Dask clusters' TLS credentials live under <DATA_DIR>/dask-tls, readable by the control plane only; the driver copies them into each member's and client's private directory.
  const daskCredentials = new LocalDaskCredentials(options.dataDir ? { dir: join(options.dataDir, 'dask-tls') } : {});
  const processDriver = new LocalProcessDriver({
    rootDir: tasksDir,
    secrets: secretStore,
    daskCredentials,
    foldersDir: options.dataDir ? join(options.dataDir, 'shared-folders') : mkdtempSync(join(tmpdir(), 'cassini-shared-folders-')),
    tokens: taskTokenIssuer(new IdentityService({ ...ports, store: runtimeStore, cache: identityCache })),
    ...(isolation.sandbox === undefined ? {} : { sandbox: isolation.sandbox }),
    ...(options.taskLogMaxBytes === undefined ? {} : { logMaxBytes: options.taskLogMaxBytes }),
    ...(options.stopGraceMs !== undefined ? { stopGraceMs: options.stopGraceMs } : {}),
  });
  const driver = accessCheckedDriver(processDriver, runtimeStore);
  // Dask clusters run as tasks of the same driver; the resources' own tasks get DASK_SCHEDULER_ADDRESS.
  const daskRuntime = new LocalDaskRuntime({ driver, credentials: daskCredentials });
  const daskReactor = new DaskReactor({ runtime: daskRuntime, catalog: runtimeStore });
  const taskDriver = daskAwareDriver(driver, daskRuntime);
  const timers = new LocalTimers(logError('timer failed'));
  const launcher = new RunLauncher({
    driver: taskDriver,
    jobs: runtimeJobs,
    clock: systemClock,
    network: { leaderAddress: () => 'localhost' },
    platformEnvironment: { SATURN_BASE_URL: url },
  });
  // Deployments and workspaces: the supervisor keeps their replicas; the proxy serves their routes.
  const routes = new RouteTable();
  const serviceReports = new ServiceReportRecorder({ store: runtimeStore, clock: systemClock });
  const serviceRuntime = new LocalServiceRuntime({ driver: taskDriver, routes, reports: serviceReports, clock: systemClock, ...(options.services ? { options: options.services } : {}) });
  const serviceReactor = new ServiceReactor({ runtime: serviceRuntime, platformEnvironment: { SATURN_BASE_URL: url }, catalog: { store: runtimeStore, reports: serviceReports, clock: systemClock } });
  const scheduler = new LocalJobScheduler((tick) => runtimeJobs.tick(tick.jobId, tick.scheduledFor), logError('schedule tick failed'));
  // Launches give way to the API, made further down: a burst of dispatches is answered first.
  const apiRef: { http?: HttpAdapter } = {};
  const boundedLaunches = new BoundedRunLaunches(launcher, {
    atOnce: LOCAL_LAUNCHES_AT_ONCE,
    holdMs: LAUNCH_SLOT_HOLD_MS,
    giveWay: () => apiRef.http?.drained(LAUNCH_GIVES_WAY_MS) ?? Promise.resolve(),
  });
  const pipeline = new ConsumerPipeline(
    {
      readModels: new ReadModelProjector({ store: rawStore, views, runViews, catalogViews, tokenViews, principalViews, usageViews }),
      daskClusters: daskReactor,
      jobRuns: new JobRunReactor({ jobs: runtimeJobs, launcher: boundedLaunches, scheduler, timers, clock: systemClock }),
      services: serviceReactor,
      // Local folders are plain directories, mounted by path: a deleted folder has no way in to remove.
      sharedFolders: new SharedFolderReactor({ remove: async () => {} }),
    },
    {
      store: rawStore,
      checkpoints,
      deferrals: new DynamoDeferrals(db.client, db.tables.views, systemClock),
      onDeferred: ({ consumer, streamId, version, error }) =>
        console.error(JSON.stringify({ level: 'warn', message: 'consumer deferred', consumer, stream: streamId, version, error: String(error) })),
    },
  );
  const feed = new LocalEventFeed({
    store: rawStore,
    pipeline,
    onError: (error, batch) => console.error(JSON.stringify({ level: 'error', message: 'delivery failed', stream: batch.streamId, version: batch.lastVersion, error: String(error) })),
  });
  feedRef.current = feed;
  const consumerNames = pipeline.consumers.map((consumer) => consumer.name);
  if (consumerNames.join() !== LOCAL_CONSUMERS.join()) throw new Error(`local-consumers.ts names ${LOCAL_CONSUMERS.join(', ')}, the pipeline ${consumerNames.join(', ')}`);
  // Taken before anything is delivered: a crash from here on leaves no mark, and the journal says what to deliver.
  const stoppedCleanly = options.dataDir !== undefined && takeCleanStopMark(options.dataDir, consumerNames);
  const journalCovers = journal?.covers(consumerNames) ?? false;
  const scanHistory = !stoppedCleanly && !journalCovers;
  const caughtUp = await feed.catchUp({ scanHistory, streams: journal?.pending() ?? [] });
  if (caughtUp.undelivered === 0) journal?.markComplete(consumerNames);
  feed.retryEvery(undefined, logError('deferred deliveries failed'));
  await daskReactor.recover(views);
  await recoverJobs({ views, jobs: runtimeJobs, launcher, driver, scheduler, timers, now: () => systemClock.now() });
  await serviceReactor.recover(await servedResources(views), { reports: serviceReports, clock: systemClock, running: new Set(driver.running()) });
  const accessRecheck = startPeriodicAccessRecheck(
    { views, store: runtimeStore, reports: serviceReports, clock: systemClock, log: { error: (message, context) => logError(message)(context.error, context.resource ?? '') } },
    options.services?.accessRecheckIntervalMs ?? DEFAULT_SERVICE_OPTIONS.accessRecheckIntervalMs,
  );

  // The hours windows of the usage limits, held against what runs (the reconciler's pass on AWS).
  const limitsCheck = startPeriodicPass(() => runtimeLimits.enforce(), usage.limitsCheckIntervalMs ?? DEFAULT_LIMITS_CHECK_MS, logError('usage limits check failed'));

  const handler = createApi({ services: { ...services, taskLogs: driver, dask: new DaskService({ store: apiStore, clock: systemClock, runtime: daskRuntime }), version: PLATFORM_VERSION, ...(options.organization ? { organization: options.organization } : {}) }, rateLimit: options.rateLimit, failedLogins: options.failedLogins }) as unknown as ApiHandler;
  const http = httpAdapter(handler, { maxBodyBytes: MAX_BODY_BYTES, tooLargeMessage: tooLargeMessage(MAX_BODY_BYTES) });
  apiRef.http = http;
  await options.prepare?.(services);
  const resolveProxyCaller = async (token: string) => {
    const caller = await services.identity.authenticate(token);
    await services.identity.recordTokenUse(caller.credential);
    return caller.user;
  };
  ready.proxy = createLocalProxy({
    routes,
    // A remembered caller's use is not due to be recorded yet: that ends the remembering.
    authenticate: (token) => services.identity.rememberedCaller(token)?.user ?? resolveProxyCaller(token),
  });
  const isAppAddress = (address: URL) => address.port === String(port) && ready.proxy?.matches(address.host) !== undefined;
  ready.serve = options.console ? consoleFront({ api: http, handler, isAppAddress, ...options.console }) : http;
  if (hostKey !== undefined) {
    sshReady.server = await startLocalSshServer({
      port: options.sshPort!,
      host: options.host ?? '127.0.0.1',
      hostKey,
      gate: new SshGate({ store: runtimeStore, clock: systemClock, ownerOfKey: (blob) => services.sshKeys.ownerOf(blob), findUser: (username) => services.identity.findUser(username) }),
      workspaces: {
        shellContext: (resourceId) => {
          const pod = routes.readyReplicas(resourceId)[0]?.pod;
          return pod === undefined ? undefined : processDriver.shellContext(pod);
        },
        sessionOpened: (resourceId) => routes.connectionOpened(resourceId),
      },
    });
    sshReady.port = sshReady.server.port;
  }

  return {
    url,
    port,
    services,
    feed,
    db,
    driver,
    isolationNotice: isolation.notice,
    catchUp: { scanned: scanHistory, streams: caughtUp.streams },
    ...(hostKey === undefined || sshReady.port === undefined ? {} : { ssh: { port: sshReady.port, fingerprint: hostKey.fingerprint, publicKey: hostKey.publicKey } }),
    handler,
    async close() {
      // Stop taking requests and let those under way finish; stop schedules and timers; stop
      // the tasks (their ends are recorded); deliver what all that committed; then the store.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      // A request cut after the grace may still append after the last delivery: no clean-stop mark then.
      const drained = await http.drained(SHUTDOWN_GRACE_MS);
      server.closeAllConnections();
      ready.proxy?.close();
      await sshReady.server?.close();
      await closed;
      scheduler.close();
      timers.close();
      await accessRecheck.close();
      await limitsCheck.close();
      feed.close();
      // Before the driver: replicas stopped by its close are not to be replaced.
      await serviceRuntime.close();
      await daskRuntime.close();
      await driver.close();
      await launcher.idle();
      await feed.idle();
      await viewWrites.flush();
      journal?.close();
      // Everything committed is delivered: the next start need not read the history.
      if (options.dataDir && drained) writeCleanStopMark(options.dataDir, consumerNames, systemClock.now());
      await db.close();
    },
  };
}

/** Every deployment and workspace, as the read model has them. */
async function servedResources(views: RecipeViews): Promise<LiveResource[]> {
  const resources: LiveResource[] = [];
  for (const type of ['deployment', 'workspace'] as const) {
    let cursor: string | undefined;
    do {
      const page = await views.list({ owners: 'all', type, pageSize: 100, cursor });
      resources.push(...page.views.map((v) => v.resource));
      cursor = page.cursor ?? undefined;
    } while (cursor);
  }
  return resources;
}
