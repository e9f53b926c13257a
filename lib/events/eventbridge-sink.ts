// The deployed sink: EventBridge PutEvents to the stack's bus (ONECARD_EVENT_BUS_NAME), at most 10 entries
// per call. Only the functions that settle orders import it (useEventBus in lib/runtime.ts), and by name: a
// namespace import() kept all of the client in every bundle (54 KB against 15 KB; test/architecture/bundle-reach.test.ts).
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { OrderSettledEvent } from './event.js';
import type { EventSink } from './sink.js';

export interface EventBridgeSinkOptions {
  readonly busName: string;
  readonly region?: string;
  /** Tests inject a client; otherwise one is built on first use. */
  readonly client?: Pick<EventBridgeClient, 'send'>;
}

/** One entry per event; a refused entry (ErrorCode set, FailedEntryCount > 0) is returned for a later retry. */
export function createEventBridgeSink(options: EventBridgeSinkOptions): EventSink {
  // Built on the first publish, so a run that settles nothing never constructs it.
  let client: Pick<EventBridgeClient, 'send'> | undefined;
  const load = (): Pick<EventBridgeClient, 'send'> => (client ??= options.client ?? new EventBridgeClient(options.region ? { region: options.region } : {}));
  return {
    target: `EventBridge bus ${options.busName}`,
    async put(events) {
      if (events.length === 0) return [];
      const eventBridge = load();
      const entries: PutEventsRequestEntry[] = events.map((event) => ({
        EventBusName: options.busName,
        Source: event.source,
        DetailType: event['detail-type'],
        Detail: JSON.stringify(event.detail),
        Resources: [],
      }));
      const answer = await eventBridge.send(new PutEventsCommand({ Entries: entries }));
      if (!answer.FailedEntryCount) return [];
      // Entries answer in request order; a failed one carries ErrorCode.
      return events.filter((_event, index) => answer.Entries?.[index]?.ErrorCode !== undefined || answer.Entries?.[index] === undefined);
    },
  };
}
