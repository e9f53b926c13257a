// The platform client: builds, signs and sends each call through a Transport, decodes the answer into
// typed results in fen or typed errors, applies the only safe retries (40017, 40004), re-reads a rotated key.
import { ConfigurationError, ValidationError } from '../errors.js';
import {
  GarbledResponseError,
  PlatformSystemError,
  SignatureMismatchError,
  TokenInvalidError,
  UpstreamError,
  UpstreamTextError,
} from '../protocol/errors.js';
import { TokenUnavailableError } from '../token/errors.js';
import { decryptBill } from '../protocol/bill.js';
import { decodeBase64Strict } from '../protocol/crypto.js';
import {
  INITIAL_ACCESS_TOKEN,
  buildRequest,
  decodeBodyText,
  decodeEnvelope,
  parseEnvelopeFields,
  throwForErrcode,
  unwrapBusiness,
} from '../protocol/envelope.js';
import { METHODS, readAccessToken, readCards, readMoneyMoved, readPayQueryResults, type MethodKey } from '../protocol/methods.js';
import { formatYuan } from '../protocol/money.js';
import { MAX_CREDENTIAL_REFRESHES, MAX_TOKEN_RETRIES } from './sends.js';
import {
  classifyTransportError,
  createFetchStreamingTransport,
  createFetchTransport,
  streamingTransport as idleBoundedTransport,
  type StreamingResponse,
  type StreamingTransport,
  type Transport,
  type TransportResponse,
} from './transport.js';
import { billPlainBytes, chunksOf, readHead, rejoin } from './bill-body.js';
import { checkTimings, deriveTimings, DEFAULT_PLATFORM_TIMEOUT_MS, type Timings } from '../timings.js';
import type {
  AccessTokenSource,
  BillRequest,
  Credentials,
  CredentialsSource,
  PlatformClient,
  StreamedBill,
  TokenCallOptions,
} from './types.js';

export type {
  OpenedResponse,
  ResponseOpener,
  StreamingRequest,
  StreamingResponse,
  StreamingTransport,
  Transport,
  TransportRequest,
  TransportResponse,
} from './transport.js';
export { classifyTransportError, createFetchStreamingTransport, createFetchTransport, streamingTransport } from './transport.js';

export interface PlatformClientOptions {
  /** The API endpoint, whole (e.g. http://host:port/onecard/uap/gateway.action). */
  readonly apiUrl: string;
  /** The bill endpoint; default: the API URL's origin + /onecard/uap/downbill.do. */
  readonly billUrl?: string;
  readonly credentials: CredentialsSource;
  readonly tokens: AccessTokenSource;
  /** What the client waits by (lib/timings.ts; the runtime passes its derived Timings). Default: derived from timeoutMs. */
  readonly timings?: Timings;
  /** Per-send timeout when no `timings` are given (they are then derived from it); default DEFAULT_PLATFORM_TIMEOUT_MS. */
  readonly timeoutMs?: number;
  readonly transport?: Transport;
  /** For downloadBillStream (lib/platform/transport.ts streamingTransport); default: `transport` buffered when given, else fetch streaming the body. */
  readonly streamingTransport?: StreamingTransport;
  readonly now?: () => Date;
}

/** downloadBillStream looks at this much of a body before handing the rest over as a stream. */
export const BILL_HEAD_BYTES = 64 * 1024;

/** The bill endpoint that goes with an API endpoint. */
export function defaultBillUrl(apiUrl: string): string {
  return `${new URL(apiUrl).origin}/onecard/uap/downbill.do`;
}

/**
 * The client's timings: the given ones once their relations are checked, else those derived from timeoutMs.
 * @throws ConfigurationError when a relation does not hold, or timeoutMs disagrees with the timings.
 */
function clientTimings(options: PlatformClientOptions): Timings {
  if (!options.timings) return deriveTimings({ platformTimeoutMs: options.timeoutMs ?? DEFAULT_PLATFORM_TIMEOUT_MS });
  checkTimings(options.timings);
  if (options.timeoutMs !== undefined && options.timeoutMs !== options.timings.platformTimeoutMs) {
    throw new ConfigurationError(`timeoutMs ${options.timeoutMs} disagrees with the timings' platform timeout ${options.timings.platformTimeoutMs}`);
  }
  return options.timings;
}

type ResponseHandler<T> = (response: TransportResponse, credentials: Credentials) => T;

/** Retry-After for a failed token call when neither the token source nor the error knows better. */
const TOKEN_RETRY_AFTER_SECONDS = 5;

export function createPlatformClient(options: PlatformClientOptions): PlatformClient {
  const apiUrl = options.apiUrl;
  const billUrl = options.billUrl ?? defaultBillUrl(apiUrl);
  const timings = clientTimings(options);
  const timeoutMs = timings.platformTimeoutMs;
  const transport = options.transport ?? createFetchTransport();
  const streamingTransport: StreamingTransport =
    options.streamingTransport ??
    (options.transport
      ? idleBoundedTransport(async (request) => {
          const response = await transport(request);
          return { status: response.status, body: chunksOf(response.body), cancel: () => undefined };
        })
      : createFetchStreamingTransport());
  const now = options.now ?? (() => new Date());

  function validate(key: MethodKey, body: object): object {
    const result = METHODS[key].request.safeParse(body);
    if (!result.success) {
      const issue = result.error.issues[0];
      const field = issue?.path.map(String).join('.') || undefined;
      throw new ValidationError(`${METHODS[key].rootKey}: ${field ?? 'body'}: ${issue?.message ?? 'invalid'}`, field);
    }
    return result.data;
  }

  async function send(url: string, body: string): Promise<TransportResponse> {
    try {
      return await transport({ url, body, timeoutMs });
    } catch (error) {
      throw classifyTransportError(error, timeoutMs);
    }
  }

  /**
   * The token for a business call. Whatever goes wrong here, the business call was never sent:
   * a failed token call (busy, timeout, garbled…) surfaces as TokenUnavailableError with its cause.
   */
  async function getToken(): Promise<string> {
    try {
      return await options.tokens.get();
    } catch (error) {
      // NOT_SENT already says the call never left; anything else upstream becomes "no token".
      if (!(error instanceof UpstreamError) || error.delivery === 'NOT_SENT') throw error;
      const retryAfterSeconds = options.tokens.retryAfterSeconds?.(error) ?? error.retryAfterSeconds ?? TOKEN_RETRY_AFTER_SECONDS;
      throw new TokenUnavailableError(`no access token: ${error.message}`, retryAfterSeconds, {
        cause: error,
      });
    }
  }

  /**
   * One logical call: at most MAX_TOKEN_RETRIES retries after 40017 (token invalidated) and
   * MAX_CREDENTIAL_REFRESHES after 40004 (credentials re-read), so at most MAX_SENDS_PER_CALL sends
   * (lib/platform/sends.ts). Both are REJECTED answers, so even money calls may repeat them; no
   * other failure is retried here.
   */
  async function call<T, R = TransportResponse>(
    key: MethodKey,
    body: object,
    handle: (response: R, credentials: Credentials) => T | Promise<T>,
    beforeSend?: () => void,
    sender: (url: string, body: string) => Promise<R> = send as unknown as (url: string, body: string) => Promise<R>,
  ): Promise<T> {
    const spec = METHODS[key];
    const wireBody = validate(key, body);
    const url = spec.billEndpoint ? billUrl : apiUrl;
    let credentials = await options.credentials.get();
    let tokenRetries = 0;
    let credentialRefreshes = 0;
    for (;;) {
      const accessToken = key === 'accessToken' ? INITIAL_ACCESS_TOKEN : await getToken();
      const request = buildRequest({
        method: spec.name,
        rootKey: spec.rootKey,
        body: wireBody,
        appKey: credentials.appKey,
        accessToken,
        privateKey: credentials.privateKey,
        tripleDesKey: credentials.tripleDesKey,
        at: now(),
      });
      beforeSend?.(); // may refuse: then nothing is sent
      try {
        return await handle(await sender(url, request.body), credentials);
      } catch (error) {
        if (error instanceof TokenInvalidError && key !== 'accessToken' && tokenRetries < MAX_TOKEN_RETRIES) {
          tokenRetries += 1;
          await options.tokens.invalidate(accessToken);
          continue;
        }
        if (
          error instanceof PlatformSystemError &&
          !(error instanceof TokenInvalidError) &&
          error.errcode === '40004' &&
          credentialRefreshes < MAX_CREDENTIAL_REFRESHES &&
          // Never for the token call itself: a second token call would break the one-per-2-minutes rule.
          key !== 'accessToken'
        ) {
          credentialRefreshes += 1;
          credentials = await options.credentials.refresh();
          continue;
        }
        if (error instanceof SignatureMismatchError) {
          // Perhaps the platform rotated its key and the secret already holds the new one: re-read it in
          // the background (rate-limited by the source, as after 40004) so the next call verifies with
          // it. This answer is still untrusted, so this call fails; a failed re-read is the source's to log.
          options.credentials.refresh().catch(() => undefined);
        }
        throw error;
      }
    }
  }

  function businessRoot(rootKey: string): ResponseHandler<Record<string, unknown>> {
    return (response, credentials) => {
      const envelope = decodeEnvelope(response.body, {
        tripleDesKey: credentials.tripleDesKey,
        ...(credentials.platformPublicKey ? { platformPublicKey: credentials.platformPublicKey } : {}),
        httpStatus: response.status,
      });
      throwForErrcode(envelope.errcode);
      return unwrapBusiness(envelope.json, rootKey);
    };
  }

  /** The bill text of a whole body, after every check that tells a refusal from a bill. */
  function wholeBillText(request: BillRequest, response: TransportResponse, credentials: Credentials): string {
    const bodyText = decodeBodyText(response.body);
    if (parseEnvelopeFields(bodyText)) {
      businessRoot(METHODS.downBill.rootKey)(response, credentials); // throws for errcode ≠ 0 or retcode ≠ 0
      throw new GarbledResponseError('the bill endpoint answered with an envelope instead of a bill');
    }
    if (bodyText.trim() === '') {
      throw new GarbledResponseError(`the bill endpoint answered HTTP ${response.status} with an empty body`);
    }
    if (response.status < 200 || response.status > 299) {
      throw new UpstreamTextError(bodyText.trim(), response.status);
    }
    let text: string;
    if (request.cryptType === '1') {
      if (!decodeBase64Strict(bodyText, false)) throw new UpstreamTextError(bodyText.trim(), response.status);
      text = decryptBill(bodyText, credentials.billDesKey);
    } else {
      text = bodyText.charCodeAt(0) === 0xfeff ? bodyText.slice(1) : bodyText;
    }
    checkBillStart(text, response.status);
    return text;
  }

  /** A bill starts with its header (#) or a row (a digit); JSON is a refusal, other text a platform message. */
  function checkBillStart(text: string, status: number): void {
    const start = text.trimStart();
    if (start.startsWith('{')) {
      let json: unknown;
      try {
        json = JSON.parse(start);
      } catch {
        throw new GarbledResponseError('bill is corrupt: it is neither a bill nor JSON');
      }
      unwrapBusiness(json, METHODS.downBill.rootKey); // a down_bill refusal → BusinessError
      throw new GarbledResponseError('the bill endpoint answered with JSON instead of a bill');
    }
    if (start !== '' && !start.startsWith('#') && !/^\d/.test(start)) {
      throw new UpstreamTextError(start.slice(0, 500), status);
    }
  }

  /**
   * The streamed download: a body that ends within BILL_HEAD_BYTES is checked whole
   * (refusal envelopes, JSON and platform messages are small); a longer one must be a 2xx bill, whose first
   * decrypted bytes are checked before the stream is handed over.
   */
  function billStreamHandler(request: BillRequest): (response: StreamingResponse, credentials: Credentials) => Promise<StreamedBill> {
    return async (response, credentials) => {
      const { head, complete, rest } = await readHead(response.body, BILL_HEAD_BYTES);
      if (complete) {
        const text = wholeBillText(request, { status: response.status, body: head }, credentials);
        return { plain: chunksOf(Buffer.from(text, 'utf8')), wholeText: text };
      }
      if (response.status < 200 || response.status > 299) {
        throw new UpstreamTextError(decodeBodyText(head).trim().slice(0, 500), response.status);
      }
      const plain = billPlainBytes(rejoin(head, rest), { cryptType: request.cryptType, desKey: credentials.billDesKey });
      const first = await readHead(plain, 1);
      checkBillStart(decodeBodyText(first.head), response.status);
      return { plain: rejoin(first.head, first.rest) };
    };
  }

  return {
    async fetchAccessToken(tokenCall: TokenCallOptions = {}) {
      const root = await call('accessToken', {}, businessRoot(METHODS.accessToken.rootKey), tokenCall.beforeSend);
      return readAccessToken(root);
    },

    async queryCard(request) {
      const body = {
        idtype: request.idtype,
        id: request.id,
        ...(request.getMerge !== undefined ? { get_merge: request.getMerge ? '1' : '0' } : {}),
        ...(request.pwd !== undefined ? { pwd: request.pwd } : {}),
      };
      const root = await call('queryCard', body, businessRoot(METHODS.queryCard.rootKey));
      return readCards(root);
    },

    async pay(request) {
      const body = {
        account: request.account,
        tranamt: formatYuan(request.amountFen),
        acctype: request.acctype,
        mercacc: request.mercacc,
        ...(request.remark !== undefined ? { remark: request.remark } : {}),
        ...(request.attach !== undefined ? { attach: request.attach } : {}),
        order_no: request.orderNo,
        ...(request.termid !== undefined ? { termid: String(request.termid) } : {}),
      };
      const root = await call('pay', body, businessRoot(METHODS.pay.rootKey));
      const moved = readMoneyMoved(root, METHODS.pay.rootKey);
      return { outId: moved.outId, amountFen: moved.amountFen ?? request.amountFen };
    },

    async refund(request) {
      const body = {
        account: request.account,
        tranamt: formatYuan(request.amountFen),
        acctype: request.acctype,
        mercacc: request.mercacc,
        order_no: request.orderNo,
        refund_order_no: request.refundOrderNo,
        ...(request.termid !== undefined ? { termid: String(request.termid) } : {}),
      };
      const root = await call('refund', body, businessRoot(METHODS.refund.rootKey));
      const moved = readMoneyMoved(root, METHODS.refund.rootKey);
      return { outId: moved.outId, amountFen: moved.amountFen ?? request.amountFen };
    },

    async payQuery(items) {
      const body = {
        pay_queries: items.map((item) => ({ account: item.account, acctype: item.acctype, order_no: item.orderNo })),
      };
      const root = await call('payQuery', body, businessRoot(METHODS.payQuery.rootKey));
      return readPayQueryResults(root, items);
    },

    async downloadBillStream(request, streamOptions = {}) {
      const { bodyTimeLeftMs } = streamOptions;
      const body = { bill_date: request.billDate, bill_type: request.billType, crypt_type: request.cryptType };
      const sendStreaming = async (url: string, form: string): Promise<StreamingResponse> => {
        try {
          return await streamingTransport({ url, body: form, timeoutMs, idleTimeoutMs: timings.billBodyIdleMs, ...(bodyTimeLeftMs ? { bodyTimeLeftMs } : {}) });
        } catch (error) {
          throw classifyTransportError(error, timeoutMs);
        }
      };
      return call('downBill', body, billStreamHandler(request), undefined, sendStreaming);
    },
  };
}
