import type { Logger } from './logger';

/**
 * The order a process stops in, named in one place: stop taking work before HTTP drains (a sender
 * claiming deliveries while requests finish would only start sends that must then be waited for),
 * finish what is in flight while the pools are still open, then close them, and the embedded
 * database last.
 */
export const SHUTDOWN_PHASES = ['stop claiming', 'drain HTTP', 'finish in-flight', 'close pools', 'stop embedded database'] as const;

export type ShutdownPhase = (typeof SHUTDOWN_PHASES)[number];

type Step = { name: string; run: () => Promise<unknown> };

/**
 * Steps are added to a phase as their parts are built; they run phase by phase, and within a phase
 * newest first, since a part built later depends on the ones before it (the relay writes into the
 * job queue, so it drains before the queue stops). A failing step is logged and the others still
 * run (the database is stopped even if the mailer fails to close); `run` then rejects with the
 * first error.
 */
export class Shutdown {
  private readonly steps = new Map<ShutdownPhase, Step[]>(SHUTDOWN_PHASES.map((p) => [p, []]));
  private running: Promise<void> | undefined;

  constructor(private readonly logger: Logger) {}

  add(phase: ShutdownPhase, name: string, run: () => Promise<unknown>): void {
    this.steps.get(phase)!.unshift({ name, run });
  }

  /** Runs every phase once; later calls return the same promise. */
  run(): Promise<void> {
    return (this.running ??= this.runPhases(true));
  }

  /** After a failed start: the same steps, without the phase log lines (start-up reports the failure). */
  runQuietly(): Promise<void> {
    return (this.running ??= this.runPhases(false));
  }

  private async runPhases(announce: boolean): Promise<void> {
    let firstError: unknown;
    for (const phase of SHUTDOWN_PHASES) {
      const steps = this.steps.get(phase)!;
      if (steps.length === 0) continue;
      if (announce) this.logger.info({ phase, steps: steps.map((s) => s.name) }, 'shutdown phase');
      for (const step of steps) {
        try {
          await step.run();
        } catch (err) {
          if (announce) this.logger.error({ err, phase, step: step.name }, 'shutdown step failed');
          firstError ??= err;
        }
      }
    }
    if (firstError !== undefined) throw firstError;
  }
}
