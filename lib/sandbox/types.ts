// The sandbox platform's public types: start options, the running sandbox, its inspectable state
// and the faults tests can inject. Amounts are integer fen; times are Date (China time on the wire).

/** The six methods the platform answers (full wire names). */
export const SANDBOX_METHODS = {
  accessToken: 'synjones.authorize.access_token',
  queryCard: 'synjones.onecard.query.card',
  pay: 'synjones.onecard.gdccard.pay',
  refund: 'synjones.onecard.gdccard.refund',
  payQuery: 'synjones.onecard.pay.query',
  downBill: 'synjones.onecard.down.bill',
} as const;

export type SandboxMethodName = (typeof SANDBOX_METHODS)[keyof typeof SANDBOX_METHODS];

/** One card account the sandbox starts with. `balanceFen` is the card account (acctype `###`). */
export interface SandboxAccountSeed {
  /** One-card account number (≤ 10 characters). */
  readonly account: string;
  readonly name: string;
  readonly balanceFen: number;
  readonly sno?: string;
  readonly phone?: string;
  /** Certificate (ID card) number; `certtype` defaults to `001` (ID card) when a cert is given. */
  readonly cert?: string;
  readonly certtype?: string;
  readonly cardid?: string;
  readonly barcode?: string;
  /** Query password (default `000000`); a query.card with another `pwd` gets 60005. */
  readonly pwd?: string;
  readonly unsettleFen?: number;
  /** E-accounts by acctype (anything but `###`), balance in fen. */
  readonly eAccounts?: Readonly<Record<string, number>>;
  /** Reported lost: payments get 60007. */
  readonly lost?: boolean;
  /** Frozen: payments get 60013. */
  readonly frozen?: boolean;
  readonly cardtype?: string;
  readonly cardname?: string;
  readonly createdate?: string;
  readonly expdate?: string;
  readonly bankacc?: string;
  /** `0` not a main/secondary card, `1` main card, `2` secondary card. */
  readonly mscard?: '0' | '1' | '2';
}

/**
 * How an error envelope (errcode ≠ 0) carries `request`, a point platforms differ on
 * (PROTOCOL.md "Response envelope"): `absent` leaves the field out; `emptyOmitted` sends `request=`
 * and leaves it out of the sign string (`errcode40017`); `emptyNamed` sends `request=` and keeps its
 * name in the sign string (`errcode40017request`).
 */
export type ErrorRequestField = 'absent' | 'emptyOmitted' | 'emptyNamed';

export const ERROR_REQUEST_FIELDS: readonly ErrorRequestField[] = ['absent', 'emptyOmitted', 'emptyNamed'];

export interface SandboxOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 (default) = a random free port. */
  port?: number;
  /** Default `onecard-sandbox`. Requests with any other app_key get 40002. */
  appKey?: string;
  /** The client's public key (PEM or bare base64 DER). Given: `secret.private_key` is omitted. */
  clientPublicKeyPem?: string;
  /** The platform's private key (PEM); generated when absent. */
  platformPrivateKeyPem?: string;
  /** base64 of a 24-byte (or 16-byte, expanded K1K2K1) 3DES key; random 24 bytes when absent. */
  appSecret?: string;
  /** base64 8-byte DES key for crypt_type 1 bills, or 'generate'. Absent: the first 8 bytes of the 3DES key. */
  billKey?: string;
  /** Token lifetime; `expires_in` is sent as this number in a string. Default 7200. */
  tokenTtlSeconds?: number;
  /** Minimum time between two token issues; an earlier call gets retcode 60066. Default 120000. */
  minTokenIntervalMs?: number;
  /** Allowed |platform clock − request timestamp|; beyond it 40018. Default 360000 (6 minutes). */
  maxSkewMs?: number;
  /**
   * How an identical replay of a paid order_no is answered. 'original' (default): retcode 0 and the
   * original result (same out_id), nothing moves. '60070': retcode 60070 with the original result.
   */
  paidReplay?: 'original' | '60070';
  /**
   * Serve the fault-control routes (`/control/…`, JSON) on the sandbox's own port. Default true;
   * they answer 403 unless the sandbox listens on loopback and the caller is on loopback too.
   */
  control?: boolean;
  /** How error envelopes carry `request` (default `absent`); an `emptyRequest` fault overrides it per call. */
  errorRequestField?: ErrorRequestField;
  now?: () => Date;
  /** The encoding of the bill's text (default `utf8`); `gbk` is what many deployed platforms send. */
  billEncoding?: 'utf8' | 'gbk';
  /** Replaces the demo accounts. */
  accounts?: readonly SandboxAccountSeed[];
  /** One line per call; never contains keys, secrets, tokens or pwd. */
  logger?: (line: string) => void;
}

/** The client side's secret to talk to this sandbox (API.md shape, PEM keys). */
export interface SynjonesSecretJson {
  app_key: string;
  app_secret: string;
  /** The client's private key (PKCS#8 PEM); absent when the sandbox was given the client's public key. */
  private_key?: string;
  /** The platform's public key (SPKI PEM). */
  platform_public_key?: string;
  bill_key?: string;
}

export type SandboxFault =
  /** Delay the answer by `ms`; the request is processed first (so a client timeout leaves it applied). */
  | { readonly type: 'latency'; readonly ms: number }
  /** errcode -1, request not processed. */
  | { readonly type: 'busy' }
  /** The given system errcode, request not processed. */
  | { readonly type: 'systemError'; readonly errcode: string }
  /** The request is processed; the answer's sign does not verify. */
  | { readonly type: 'badSignature' }
  /** HTTP 200 with a GBK-encoded plain-text body (default `签名错误`); not processed. */
  | { readonly type: 'gbkText'; readonly text?: string }
  /** The request is processed, then the socket is destroyed without an answer. */
  | { readonly type: 'dropAfterCommit' }
  /** The request is processed and never answered: the connection stays open until the client gives up. */
  | { readonly type: 'timeout' }
  /** The request is processed; the answer's headers and first `afterBytes` bytes are sent, then the body stalls. */
  | { readonly type: 'stallBody'; readonly afterBytes: number }
  /**
   * The request is processed; the answer's body comes `bytes` bytes every `everyMs` ms: each gap under a client's
   * idle bound, so only a bound on the whole body ends it early.
   */
  | { readonly type: 'trickleBody'; readonly bytes: number; readonly everyMs: number }
  /** After the system checks pass, errcode 0 with this business retcode (and errmsg); not processed. */
  | { readonly type: 'retcode'; readonly retcode: string; readonly errmsg?: string }
  /** The live token is killed before handling, so the call gets 40017 (not processed). */
  | { readonly type: 'invalidateToken' }
  /** The request is processed; `+` in base64 values is sent as a space (form-encoded as `+`). */
  | { readonly type: 'plusAsSpace' }
  /** The request is processed; errcode 0 with a signed but undecryptable `request` value. */
  | { readonly type: 'garbled' }
  /**
   * Shapes the next error envelopes (errcode ≠ 0) only, whatever else fires: `request=` sent empty,
   * signed with the empty field left out (`omitted`: `errcode40017`) or its name kept (`named`:
   * `errcode40017request`). Counted per error envelope, not per call.
   */
  | { readonly type: 'emptyRequest'; readonly signing: 'omitted' | 'named' };

export type SandboxFaultType = SandboxFault['type'];

/** Whether each fault lets the request be applied (money moves) before the answer goes wrong. */
export const FAULT_PROCESSES_REQUEST: Readonly<Record<SandboxFaultType, boolean>> = {
  latency: true,
  busy: false,
  systemError: false,
  badSignature: true,
  gbkText: false,
  dropAfterCommit: true,
  timeout: true,
  stallBody: true,
  trickleBody: true,
  retcode: false,
  invalidateToken: false,
  plusAsSpace: true,
  garbled: true,
  emptyRequest: true,
};

export interface FaultInjectOptions {
  /** How many matching calls it hits; default 1; Infinity for always. */
  times?: number;
  /** Full method names it applies to; default all. */
  methods?: readonly string[];
}

export interface InjectedFault {
  readonly fault: SandboxFault;
  readonly remaining: number;
  readonly methods?: readonly string[];
}

export interface FaultInjector {
  inject(fault: SandboxFault, options?: FaultInjectOptions): void;
  clear(): void;
  /** Faults still waiting to fire. */
  readonly pending: readonly InjectedFault[];
}

export interface SandboxAccountView {
  readonly account: string;
  readonly name: string;
  readonly sno?: string;
  readonly phone?: string;
  /** Card account (`###`) balance. */
  readonly balanceFen: number;
  readonly eAccounts: Readonly<Record<string, number>>;
  readonly lost: boolean;
  readonly frozen: boolean;
}

/** pay.query order_status values the sandbox uses ('20' only when a test sets it). */
export type SandboxOrderStatus = '20' | '60' | '77' | '80';

export interface SandboxOrder {
  readonly orderNo: string;
  readonly type: 'PAYMENT' | 'REFUND';
  readonly account: string;
  readonly acctype: string;
  readonly mercacc: string;
  readonly amountFen: number;
  /** 60 done · 77 failed (refused, no money moved) · 80 payment fully refunded · 20 processing (set by tests). */
  readonly status: SandboxOrderStatus;
  /** The business retcode it was answered with ("0" on success). */
  readonly retcode: string;
  readonly errmsg: string;
  /** Present when money moved. */
  readonly outId?: string;
  readonly tradeTime: Date;
  readonly remark?: string;
  readonly attach?: string;
  readonly termid?: string;
  /** Refunds: the original payment's order_no. */
  readonly refundOrderNo?: string;
  /** Payments: fen refunded so far. */
  readonly refundedFen: number;
}

export interface SandboxToken {
  readonly value: string;
  readonly issuedAt: Date;
  readonly expiresAt: Date;
}

export interface SandboxCall {
  /** The method field as sent ('' when absent). */
  readonly method: string;
  readonly path: string;
  /**
   * The errcode answered; 'DROPPED' when the socket was destroyed, 'UNANSWERED' for a `timeout`
   * fault, 'TEXT' for a plain-text body, 'BILL' for a bill body.
   */
  readonly errcode: string;
  /** The business retcode, when a business answer was produced. */
  readonly retcode?: string;
  /** The fault that shaped the answer ('latency' only when no other fault fired). */
  readonly fault?: SandboxFaultType;
  /** Set when a latency fault delayed the answer. */
  readonly latencyMs?: number;
  /** How the answer's `request` was sent when it was an error envelope (absent when not one). */
  readonly errorRequestField?: ErrorRequestField;
  /** The request passed the system checks and its business handler ran (state may have changed). */
  readonly processed: boolean;
  /** Payments and refunds that passed the system checks: the order_no of the request. */
  readonly orderNo?: string;
  readonly at: Date;
}

export interface SandboxState {
  readonly appKey: string;
  readonly accounts: readonly SandboxAccountView[];
  account(account: string): SandboxAccountView | undefined;
  /** Balance of `account` for `acctype` (default `###`); throws for an unknown account/acctype. */
  balanceFen(account: string, acctype?: string): number;
  /** Sets a balance (test setup). */
  setBalance(account: string, fen: number, acctype?: string): void;
  /** Payments and refunds in the order they were recorded. */
  readonly orders: readonly SandboxOrder[];
  readonly payments: readonly SandboxOrder[];
  readonly refunds: readonly SandboxOrder[];
  order(orderNo: string): SandboxOrder | undefined;
  /** Overrides what pay.query reports for an order (e.g. '20' processing); balances are not touched. */
  setOrderStatus(orderNo: string, status: SandboxOrderStatus): void;
  readonly tokenIssueCount: number;
  /** The live token (undefined when none, expired or invalidated). */
  readonly currentToken: SandboxToken | undefined;
  /** Kills the live token (as the platform would after an admin reset). */
  invalidateToken(): void;
  readonly calls: readonly SandboxCall[];
  clearCalls(): void;
}

/** The sandbox's clock: the `now` it was given (or the system clock) plus an offset. */
export interface SandboxClock {
  now(): Date;
  readonly offsetMs: number;
  /** Moves the platform's clock (e.g. to try the 6-minute skew rule or a day boundary). */
  setOffsetMs(offsetMs: number): void;
}

export interface Sandbox {
  /** http://HOST:PORT/onecard/uap/gateway.action */
  readonly url: string;
  /** http://HOST:PORT/onecard/uap/downbill.do */
  readonly billUrl: string;
  /** http://HOST:PORT/control (the fault-control routes; see README "The sandbox on its own"). */
  readonly controlUrl: string;
  readonly clock: SandboxClock;
  /** Records `count` generated orders on a China day (yyyyMMdd); balances are not touched. */
  seedDay(billDate: string, count: number, options?: SeedOptions): SeedResult;
  readonly secret: SynjonesSecretJson;
  readonly faults: FaultInjector;
  readonly state: SandboxState;
  /**
   * The platform rotates its key: every later answer is signed with `privateKeyPem` (PEM). Returns the
   * new public key (SPKI PEM), what the operator puts into the client's secret. `secret` is not changed.
   */
  rotatePlatformKey(privateKeyPem: string): string;
  /**
   * The client registers a new key pair: from now on requests must be signed with the private half of
   * `publicKeyPem` (PEM or bare base64 DER); the old key gets 40004, as a platform that replaced it would.
   */
  registerClientKey(publicKeyPem: string): void;
  close(): Promise<void>;
}

export interface SeedOptions {
  /** PRNG seed: the same seed, day and count give the same orders. Default 1. */
  readonly seed?: number;
}

export interface SeedResult {
  readonly billDate: string;
  readonly created: number;
  readonly payments: number;
  readonly refunds: number;
  readonly failed: number;
  /** Orders on that day after seeding (seeded and real). */
  readonly ordersThatDay: number;
}
