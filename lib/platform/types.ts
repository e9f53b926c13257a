// The platform client's contract, as the rest of lib/ sees it: typed calls in integer fen,
// typed errors (lib/protocol/errors.ts, ./errors.ts). The wire format stays inside lib/protocol and the client.
import type { KeyObject } from 'node:crypto';
import type { Bill, CardRecord, IssuedToken, PayQueryItem, PayQueryResult } from '../protocol/types.js';

// What the platform's answers decode to is declared beside their decoders (lib/protocol/types.ts).
export type { Bill, BillRow, CardRecord, IssuedToken, OrderStatusCode, PayQueryItem, PayQueryResult } from '../protocol/types.js';

/** Everything needed to sign, encrypt, verify and decrypt; loaded from the secret (lib/secrets). */
export interface Credentials {
  readonly appKey: string;
  /** 24-byte 3DES key: base64-decoded app_secret, a 16-byte one expanded K1K2K1. */
  readonly tripleDesKey: Buffer;
  /** 8-byte DES key for crypt_type 1 bills: bill_key, else the first 8 bytes of tripleDesKey. */
  readonly billDesKey: Buffer;
  readonly privateKey: KeyObject;
  /** Absent only for the local sandbox; deployed, its absence is a configuration error. */
  readonly platformPublicKey?: KeyObject;
}

/** Where the client gets credentials; `refresh` re-reads after a 40004 (key rotation). */
export interface CredentialsSource {
  get(): Promise<Credentials>;
  refresh(): Promise<Credentials>;
}

/** Where the client gets the fleet-wide access token (lib/token implements it). */
export interface AccessTokenSource {
  get(): Promise<string>;
  /** Called after a 40017 with the token that failed; only that token is invalidated. */
  invalidate(failedToken: string): Promise<void>;
  /**
   * After get() failed with `error`: the seconds until a token can next be had (a failed token call
   * starts the 2-minute window), or undefined when the source does not know.
   */
  retryAfterSeconds?(error: unknown): number | undefined;
}

/** How the token call's caller keeps a say until the call leaves. */
export interface TokenCallOptions {
  /** Runs right before the request is sent; if it throws, nothing is sent and the call fails with its error. */
  readonly beforeSend?: () => void;
}

export type IdType = 'sno' | 'id' | 'phone' | 'acc' | 'cardid' | 'barcode';

export interface QueryCardRequest {
  readonly idtype: IdType;
  readonly id: string;
  readonly getMerge?: boolean;
  readonly pwd?: string;
}

export interface PayRequest {
  readonly orderNo: string;
  readonly account: string;
  readonly acctype: string;
  readonly mercacc: string;
  readonly amountFen: number;
  readonly remark?: string;
  readonly attach?: string;
  readonly termid?: number;
}

export interface RefundRequest {
  readonly orderNo: string;
  /** The original payment's order_no. */
  readonly refundOrderNo: string;
  readonly account: string;
  readonly acctype: string;
  readonly mercacc: string;
  readonly amountFen: number;
  readonly termid?: number;
}

/** A successful pay or refund: the platform's one-card serial. */
export interface MoneyMoved {
  readonly outId: string;
  readonly amountFen: number;
}

export interface BillRequest {
  /** yyyyMMdd, China date. */
  readonly billDate: string;
  readonly billType: 'ALL' | 'SUCCESS';
  readonly cryptType: '0' | '1';
}

/** A bill as it downloads: its own bytes (decrypted for crypt_type 1), to decode, parse and archive as they come. */
export interface StreamedBill {
  /** The bill's bytes (UTF-8 or GBK, as the platform wrote them); iterate once. */
  readonly plain: AsyncIterable<Uint8Array>;
  /** Set when the whole body was small enough to be checked at once (then `plain` is its UTF-8). */
  readonly wholeText?: string;
}

/** The platform, as lib/ calls it. Every method throws the typed errors of lib/protocol/errors.ts and ./errors.ts. */
export interface PlatformClient {
  /** The token call itself (access_token = 128 zeros). Only lib/token calls this. */
  fetchAccessToken(options?: TokenCallOptions): Promise<IssuedToken>;
  queryCard(request: QueryCardRequest): Promise<readonly CardRecord[]>;
  pay(request: PayRequest): Promise<MoneyMoved>;
  refund(request: RefundRequest): Promise<MoneyMoved>;
  payQuery(items: readonly PayQueryItem[]): Promise<readonly PayQueryResult[]>;
  /**
   * down.bill with the body streamed (no whole bill in memory). Refusals (envelope, JSON, platform text) are
   * thrown before it resolves; a corrupt bill surfaces while `plain` is read (GarbledResponseError).
   */
  downloadBillStream(request: BillRequest, options?: BillStreamOptions): Promise<StreamedBill>;
}

export interface BillStreamOptions {
  /**
   * Milliseconds the body may still take in all, asked at each wait for a chunk: a body that trickles in, each
   * gap inside the idle bound, then fails as PlatformTimeoutError (down-bill: its function's time less a reserve).
   */
  readonly bodyTimeLeftMs?: () => number;
}
