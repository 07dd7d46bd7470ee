// Waiting primitives of the engine's scheduler: the process-wide cap on xorb requests in flight (files downloading
// at once share connections instead of multiplying them), a resettable wake-up, and an abortable sleep.

/** Requests in flight across every file of the process. */
const MAX_IN_FLIGHT = 16;

class Slots {
  private used = 0;
  private waiters: Array<() => void> = [];

  constructor(private readonly max: number) {}

  take(): boolean {
    if (this.used >= this.max) return false;
    this.used++;
    return true;
  }

  release(): void {
    this.used = Math.max(0, this.used - 1);
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** Resolves the next time a slot is released. */
  freed(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}

export const globalSlots = new Slots(MAX_IN_FLIGHT);

/** A resettable signal for the scheduler loop. */
export class Wake {
  private resolve?: () => void;

  fire(): void {
    this.resolve?.();
    this.resolve = undefined;
  }

  wait(extra?: Promise<void>): Promise<void> {
    return new Promise<void>((resolve) => {
      this.resolve = resolve;
      extra?.then(resolve);
    });
  }
}
