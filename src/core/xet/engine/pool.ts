// A process-wide pool of worker threads (worker.ts): decoding, positional writes and hashing happen
// there, so the caller's event loop (the extension host) only routes small messages. Idle workers exit.
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { Worker, type WorkerOptions } from "node:worker_threads";
import { currentNetwork } from "../../net/proxy";
import { downloadSpeedLimit } from "../../net/bandwidth";

/** What a worker reports about one job. */
export type WorkerEvent =
  | { type: "landed"; ranges: number[]; wire: number }
  | { type: "done"; chunkLens?: number[] }
  | { type: "digest"; hex: string }
  | { type: "error"; error: WorkerFailure };

export interface WorkerFailure {
  kind: "http" | "network" | "integrity" | "stall" | "fs" | "cancelled";
  status?: number;
  retryAfter?: string;
  code?: string;
  message?: string;
}

interface Slot {
  worker: Worker;
  load: number;
}

const IDLE_EXIT_MS = 15_000;
const YOUNG_GENERATION_MB = 4;

/** How a worker thread is started: its script and the Node flags it needs. */
export interface WorkerScript {
  file: string;
  execArgv?: string[];
}

/** `xet-worker.js` beside the bundle that loaded this module (esbuild.js builds it). */
function bundledWorker(): WorkerScript {
  const bundled = join(__dirname, "xet-worker.js");
  if (!existsSync(bundled)) throw new Error(`the Xet engine's worker is missing (${bundled}); rebuild with \`node esbuild.js\``);
  return { file: bundled };
}

export class WorkerPool {
  private slots: Slot[] = [];
  private handlers = new Map<number, { slot: Slot; on(event: WorkerEvent): void }>();
  private nextId = 1;
  private idleTimer?: NodeJS.Timeout;
  private holds = 0;
  private network?: string;

  /** `script`: how to start a worker; default the bundled `xet-worker.js` (code running from source passes its own). */
  constructor(readonly size: number, private readonly script?: WorkerScript) {}

  /** Starts a job on the least busy worker (or on `pin`); `on` sees every event until `done`, `digest` or `error`. */
  run(message: Record<string, unknown>, on: (event: WorkerEvent) => void, pin?: number): { id: number; cancel(): void } {
    this.ensure();
    const slot = pin !== undefined ? this.slots[pin % this.slots.length] : this.slots.reduce((a, b) => (b.load < a.load ? b : a));
    const id = this.nextId++;
    slot.load++;
    this.handlers.set(id, { slot, on });
    slot.worker.postMessage({ ...message, id });
    return { id, cancel: () => slot.worker.postMessage({ op: "cancel", id }) };
  }

  /** Keeps the workers (and the hash states they hold) alive until the returned function is called. */
  hold(): () => void {
    this.ensure();
    this.holds++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.holds--;
      this.scheduleIdle();
    };
  }

  /** Fire-and-forget message to one worker (hash state set-up and teardown). */
  post(pin: number, message: Record<string, unknown>): void {
    this.ensure();
    this.slots[pin % this.slots.length].worker.postMessage(message);
  }

  /** Runs a job that answers with one final event, as a promise. */
  call(message: Record<string, unknown>, pin?: number): Promise<WorkerEvent> {
    return new Promise((resolve) => {
      this.run(message, (event) => {
        if (event.type !== "landed") resolve(event);
      }, pin);
    });
  }

  private ensure(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    // Changed proxy/CA settings reach new workers only: idle ones are replaced, busy ones finish their jobs.
    const network = JSON.stringify(currentNetwork());
    if (network !== this.network && this.handlers.size === 0 && this.holds === 0) {
      const stale = this.slots;
      this.slots = [];
      for (const s of stale) void s.worker.terminate();
    }
    this.network = network;
    while (this.slots.length < this.size) {
      // A small young generation: socket reads allocate a fresh 64 KiB buffer each, and the sooner their
      // wrappers are scavenged the sooner that memory is returned (peak RSS, not speed, is what this buys).
      const script = this.script ?? bundledWorker();
      // Workers get the proxy and CA settings as data: they must not read this thread's environment or globals.
      const options: WorkerOptions = { execArgv: script.execArgv, resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB }, workerData: { network: currentNetwork(), bandwidth: downloadSpeedLimit.shared } };
      const worker = new Worker(script.file, options);
      worker.unref();
      const slot: Slot = { worker, load: 0 };
      worker.on("message", (msg: WorkerEvent & { id: number }) => this.dispatch(slot, msg));
      worker.on("error", (err) => this.crash(slot, err));
      worker.on("exit", () => this.crash(slot, new Error("an engine worker exited")));
      this.slots.push(slot);
    }
  }

  private dispatch(slot: Slot, msg: WorkerEvent & { id: number }): void {
    const handler = this.handlers.get(msg.id);
    if (!handler) return;
    if (msg.type !== "landed") {
      this.handlers.delete(msg.id);
      slot.load--;
      this.scheduleIdle();
    }
    handler.on(msg);
  }

  private crash(slot: Slot, err: Error): void {
    if (!this.slots.includes(slot)) return;
    this.slots = this.slots.filter((s) => s !== slot);
    for (const [id, handler] of this.handlers) {
      if (handler.slot !== slot) continue;
      this.handlers.delete(id);
      handler.on({ type: "error", error: { kind: "fs", message: `engine worker failed: ${err.message}` } });
    }
  }

  private scheduleIdle(): void {
    if (this.handlers.size > 0 || this.holds > 0 || this.idleTimer) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      if (this.handlers.size > 0 || this.holds > 0) return;
      const slots = this.slots;
      this.slots = [];
      for (const s of slots) void s.worker.terminate();
    }, IDLE_EXIT_MS);
    this.idleTimer.unref();
  }
}

let shared: WorkerPool | undefined;
let sharedScript: WorkerScript | undefined;

/** The process-wide pool: one worker per core, at least 2 (decoding overlaps with network waits), at most 4. */
export function sharedPool(): WorkerPool {
  shared ??= new WorkerPool(Math.max(2, Math.min(4, availableParallelism())), sharedScript);
  return shared;
}

/**
 * Starts the shared pool's workers from `script` instead of the bundled `xet-worker.js`, for code that runs from
 * the TypeScript source (the test suites). Call it before the first download; the pool is created once.
 */
export function configureSharedPool(options: { script: WorkerScript }): void {
  if (shared && sharedScript?.file !== options.script.file) throw new Error("the shared Xet worker pool is already running");
  sharedScript = options.script;
}
