// A scripted in-memory PlatformClient for the ledger's unit tests: records every call, applies money
// calls per a script (succeed, refuse, fail before or after committing), and answers pay.query from its state.
import type {
  BillRequest,
  CardRecord,
  StreamedBill,
  IssuedToken,
  MoneyMoved,
  PayQueryItem,
  PayQueryResult,
  PayRequest,
  PlatformClient,
  RefundRequest,
} from '../../lib/platform/types.js';
import { BusinessError } from '../../lib/protocol/errors.js';

export type MoneyScript =
  | { readonly kind: 'succeed'; readonly delayMs?: number }
  | { readonly kind: 'refuse'; readonly retcode: string; readonly errmsg?: string }
  /** Throws `error`; with `committed` the money moved first (as when the answer is lost). */
  | { readonly kind: 'throw'; readonly error: () => Error; readonly committed: boolean; readonly delayMs?: number };

export interface PlatformOrder {
  readonly orderNo: string;
  readonly type: 'PAYMENT' | 'REFUND';
  readonly account: string;
  readonly acctype: string;
  readonly amountFen: number;
  readonly outId: string;
  readonly refundOrderNo?: string;
}

export class FakePlatform implements PlatformClient {
  readonly payCalls: PayRequest[] = [];
  readonly refundCalls: RefundRequest[] = [];
  readonly queryCalls: (readonly PayQueryItem[])[] = [];
  /** Orders where money moved. */
  readonly orders = new Map<string, PlatformOrder>();
  /** Forced pay.query statuses per order_no (else 60 when in `orders`, 78 when not). */
  readonly queryStatus = new Map<string, string>();
  /** Scripts consumed one per money call; when empty, `defaultScript`. */
  readonly script: MoneyScript[] = [];
  defaultScript: MoneyScript = { kind: 'succeed' };
  /** When set, pay.query throws it. */
  queryError: (() => Error) | undefined;
  private serial = 0;

  async fetchAccessToken(): Promise<IssuedToken> {
    return { accessToken: 'fake', expiresInSeconds: 7200 };
  }

  async queryCard(): Promise<readonly CardRecord[]> {
    return [];
  }

  async downloadBillStream(_request: BillRequest): Promise<StreamedBill> {
    throw new Error('not scripted');
  }

  async pay(request: PayRequest): Promise<MoneyMoved> {
    this.payCalls.push(request);
    return this.move(request.orderNo, () => ({
      orderNo: request.orderNo,
      type: 'PAYMENT',
      account: request.account,
      acctype: request.acctype,
      amountFen: request.amountFen,
      outId: this.nextOutId(),
    }));
  }

  async refund(request: RefundRequest): Promise<MoneyMoved> {
    this.refundCalls.push(request);
    return this.move(request.orderNo, () => ({
      orderNo: request.orderNo,
      type: 'REFUND',
      account: request.account,
      acctype: request.acctype,
      amountFen: request.amountFen,
      outId: this.nextOutId(),
      refundOrderNo: request.refundOrderNo,
    }));
  }

  async payQuery(items: readonly PayQueryItem[]): Promise<readonly PayQueryResult[]> {
    this.queryCalls.push(items);
    await Promise.resolve();
    if (this.queryError) throw this.queryError();
    return items.map((item) => {
      const order = this.orders.get(item.orderNo);
      const status = this.queryStatus.get(item.orderNo) ?? (order ? '60' : '78');
      return {
        orderNo: item.orderNo,
        account: item.account,
        acctype: item.acctype,
        orderStatus: status,
        ...(order && (status === '60' || status === '80') ? { outId: order.outId, amountFen: order.amountFen } : {}),
      };
    });
  }

  /** Sum of refunds that moved money for one payment. */
  refundedFor(paymentNo: string): number {
    let sum = 0;
    for (const order of this.orders.values()) if (order.refundOrderNo === paymentNo) sum += order.amountFen;
    return sum;
  }

  private nextOutId(): string {
    this.serial += 1;
    return `OUT${String(this.serial).padStart(8, '0')}`;
  }

  private async move(orderNo: string, make: () => PlatformOrder): Promise<MoneyMoved> {
    const script = this.script.shift() ?? this.defaultScript;
    if (script.kind === 'refuse') {
      await Promise.resolve();
      throw new BusinessError(script.retcode, script.errmsg ?? '');
    }
    if (script.delayMs) await new Promise((resolve) => setTimeout(resolve, script.delayMs));
    else await Promise.resolve();
    if (script.kind === 'throw') {
      if (script.committed) this.orders.set(orderNo, make());
      throw script.error();
    }
    if (this.orders.has(orderNo)) throw new BusinessError('60045', 'duplicate sender serial');
    const order = make();
    this.orders.set(orderNo, order);
    return { outId: order.outId, amountFen: order.amountFen };
  }
}
