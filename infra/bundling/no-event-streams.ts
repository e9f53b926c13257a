// Bundled in place of @smithy/core/event-streams (esbuild alias, see gateway-functions.ts): the only
// event-stream operation of the bundled clients is S3 SelectObjectContent, which the gateway never calls, yet
// the codec (~15 KB minified) rides in every bundle. Same config resolver; a marshaller that refuses use.

const UNAVAILABLE = 'event streams are not bundled (infra/bundling/no-event-streams.ts): no gateway call streams events';

/** Refuses every use: only an event-stream operation would reach it. */
class UnavailableEventStreamMarshaller {
  deserialize(): never {
    throw new Error(UNAVAILABLE);
  }
  serialize(): never {
    throw new Error(UNAVAILABLE);
  }
}

export const eventStreamSerdeProvider = (_options?: unknown): UnavailableEventStreamMarshaller => new UnavailableEventStreamMarshaller();

/** As @smithy/core's: the client config's marshaller, made by its provider when the client is built. */
export const resolveEventStreamSerdeConfig = <T extends { eventStreamSerdeProvider: (input: T) => unknown }>(input: T): T & { eventStreamMarshaller: unknown } =>
  Object.assign(input, { eventStreamMarshaller: input.eventStreamSerdeProvider(input) });

/** What HttpProtocol loads for an event-stream operation only. */
export class EventStreamSerde {
  constructor(_options?: unknown) {
    throw new Error(UNAVAILABLE);
  }
}
