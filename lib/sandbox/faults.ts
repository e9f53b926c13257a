// Fault injection for the sandbox: a queue of faults, each firing on the next matching calls.
// A call takes at most one latency fault plus at most one other fault (first injected first);
// `emptyRequest` faults are a layer of their own, taken only when an error envelope is built.
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
    if (fault.type === 'emptyRequest' && fault.signing !== 'omitted' && fault.signing !== 'named') {
      throw new Error("emptyRequest signing must be 'omitted' or 'named'");
    }
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
    const latency = this.consume(method, (fault) => fault.type === 'latency');
    const other = this.consume(method, (fault) => fault.type !== 'latency' && fault.type !== 'emptyRequest');
    return {
      ...(latency?.type === 'latency' ? { latencyMs: latency.ms } : {}),
      ...(other ? { fault: other } : {}),
    };
  }

  /** Consumes the first `emptyRequest` fault for `method`: called once per error envelope. */
  takeEmptyRequest(method: string): 'omitted' | 'named' | undefined {
    const fault = this.consume(method, (candidate) => candidate.type === 'emptyRequest');
    return fault?.type === 'emptyRequest' ? fault.signing : undefined;
  }

  private consume(method: string, matches: (fault: SandboxFault) => boolean): SandboxFault | undefined {
    const entry = this.entries.find((candidate) => matches(candidate.fault) && (!candidate.methods || candidate.methods.includes(method)));
    if (!entry) return undefined;
    entry.remaining -= 1;
    if (entry.remaining <= 0) this.entries = this.entries.filter((candidate) => candidate !== entry);
    return entry.fault;
  }
}
