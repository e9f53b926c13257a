// What the platform's answers decode to (a token, cards, pay.query results, the bill), declared
// here beside their decoders so lib/protocol needs nothing from the rest of lib/; lib/platform re-exports them.

export interface IssuedToken {
  readonly accessToken: string;
  readonly expiresInSeconds: number;
}

/** One card as the platform returned it (all fields kept, strings as sent). */
export type CardRecord = Readonly<Record<string, unknown>> & { readonly account: string };

export interface PayQueryItem {
  readonly account: string;
  readonly acctype: string;
  readonly orderNo: string;
}

/** pay.query order_status: 20 processing · 60 paid · 77 failed · 78 no such order · 80 refunded. */
export type OrderStatusCode = '20' | '60' | '77' | '78' | '80' | (string & {});

export interface PayQueryResult {
  readonly orderNo: string;
  readonly account: string;
  readonly acctype: string;
  readonly amountFen?: number;
  readonly outId?: string;
  readonly orderStatus: OrderStatusCode;
  readonly orderDesc?: string;
  /** Per-item retcode/errmsg when the platform gives one. */
  readonly retcode?: string;
  readonly errmsg?: string;
}

export interface BillRow {
  /** ISO 8601 with +08:00. */
  readonly tradeTime: string;
  readonly account: string;
  readonly acctype: string;
  readonly mercacc: string;
  readonly outId: string;
  readonly orderNo: string;
  /** 01 payment, 02 refund. */
  readonly tradeType: string;
  readonly orderStatus: string;
  readonly amountFen: number;
  readonly attach: string;
}

export interface Bill {
  readonly rows: readonly BillRow[];
  readonly count: number;
  readonly totalFen: number;
}
