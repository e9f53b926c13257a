// The deployed sink: EventBridge PutEvents to the stack's bus (ONECARD_EVENT_BUS_NAME), at most 10 entries
// per call. The SDK client is imported on the first publish, so a function that settles nothing never loads it.
import type { EventBridgeClient, PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
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
  let client: Promise<{ client: Pick<EventBridgeClient, 'send'>; module: typeof import('@aws-sdk/client-eventbridge') }> | undefined;
  const load = () =>
    (client ??= import('@aws-sdk/client-eventbridge').then((module) => ({
      module,
      client: options.client ?? new module.EventBridgeClient(options.region ? { region: options.region } : {}),
    })));
  return {
    target: `EventBridge bus ${options.busName}`,
    async put(events) {
      if (events.length === 0) return [];
      const { client: eventBridge, module } = await load();
      const entries: PutEventsRequestEntry[] = events.map((event) => ({
        EventBusName: options.busName,
        Source: event.source,
        DetailType: event['detail-type'],
        Detail: JSON.stringify(event.detail),
        Resources: [],
      }));
      const answer = await eventBridge.send(new module.PutEventsCommand({ Entries: entries }));
      if (!answer.FailedEntryCount) return [];
      // Entries answer in request order; a failed one carries ErrorCode.
      return events.filter((_event, index) => answer.Entries?.[index]?.ErrorCode !== undefined || answer.Entries?.[index] === undefined);
    },
  };
}
