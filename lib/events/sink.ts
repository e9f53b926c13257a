// Where events go: one interface, two sinks (lib/events/file-sink.ts locally, eventbridge-sink.ts deployed).
import type { OrderSettledEvent } from './event.js';

export interface EventSink {
  /** Human-readable target for logs and the banner (a file path, a bus name). */
  readonly target: string;
  /**
   * Publishes the events; resolves with those that were refused (an empty array: all delivered).
   * @throws when nothing could be attempted (then every event counts as refused).
   */
  put(events: readonly OrderSettledEvent[]): Promise<readonly OrderSettledEvent[]>;
}
