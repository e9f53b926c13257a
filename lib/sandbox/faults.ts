// Fault injection for the sandbox: a queue of faults, each firing on the next matching calls.
// A call takes at most one latency fault plus at most one other fault (first injected first).
import type { FaultInjectOptions, FaultInjector, InjectedFault, SandboxFault } from './types.js';

interface Entry {
  readonly fault: SandboxFault;
  remaining: number;
  readonly methods?: readonly string[];
}

export interface TakenFaults {
  readonly latencyMs?: number;
  readonly fault?: SandboxFault;
}

export class FaultQueue implements FaultInjector {
  private entries: Entry[] = [];

  inject(fault: SandboxFault, options: FaultInjectOptions = {}): void {
    const times = options.times ?? 1;
    if (!(times > 0)) throw new Error('fault times must be > 0');
    if (fault.type === 'latency' && !(fault.ms >= 0)) throw new Error('latency ms must be >= 0');
    this.entries.push({ fault, remaining: times, ...(options.methods ? { methods: [...options.methods] } : {}) });
  }

  clear(): void {
    this.entries = [];
  }

  get pending(): readonly InjectedFault[] {
    return this.entries.map((entry) => ({ ...entry }));
  }

  /** Consumes the faults that apply to a call of `method`. */
  take(method: string): TakenFaults {
    const applies = (entry: Entry): boolean => !entry.methods || entry.methods.includes(method);
    const latency = this.entries.find((entry) => entry.fault.type === 'latency' && applies(entry));
    const other = this.entries.find((entry) => entry.fault.type !== 'latency' && applies(entry));
    for (const entry of [latency, other]) if (entry) entry.remaining -= 1;
    this.entries = this.entries.filter((entry) => entry.remaining > 0);
    return {
      ...(latency?.fault.type === 'latency' ? { latencyMs: latency.fault.ms } : {}),
      ...(other ? { fault: other.fault } : {}),
    };
  }
}
