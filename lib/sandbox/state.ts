// The sandbox platform's in-memory world: card accounts, orders by order_no, the live access
// token and the call log, plus the read-only view tests inspect (`sandbox.state`).
import { randomBytes } from 'node:crypto';
import type {
  SandboxAccountSeed,
  SandboxAccountView,
  SandboxCall,
  SandboxOrder,
  SandboxOrderStatus,
  SandboxState,
  SandboxToken,
} from './types.js';

export const CARD_ACCTYPE = '###';

export interface AccountRecord {
  readonly seed: SandboxAccountSeed;
  /** Balances by acctype (`###` is the card account). */
  readonly balances: Map<string, number>;
}

/** Mutable order record; `SandboxOrder` snapshots are handed out. */
export interface OrderRecord {
  orderNo: string;
  type: 'PAYMENT' | 'REFUND';
  account: string;
  acctype: string;
  mercacc: string;
  amountFen: number;
  status: SandboxOrderStatus;
  retcode: string;
  errmsg: string;
  outId?: string;
  tradeTime: Date;
  remark?: string;
  attach?: string;
  termid?: string;
  refundOrderNo?: string;
  refundedFen: number;
  /** The business JSON answered the first time (returned as is on an identical replay). */
  answer: Record<string, unknown>;
}

export class SandboxWorld {
  readonly accounts = new Map<string, AccountRecord>();
  readonly orders = new Map<string, OrderRecord>();
  readonly calls: SandboxCall[] = [];
  token: SandboxToken | undefined;
  lastTokenIssuedAt: Date | undefined;
  tokenIssueCount = 0;
  /** How many times a day was seeded (tags the generated order numbers). */
  seedRuns = 0;
  private serial = 0;

  constructor(seeds: readonly SandboxAccountSeed[], readonly appKey: string, private readonly now: () => Date) {
    for (const seed of seeds) {
      if (this.accounts.has(seed.account)) throw new Error(`sandbox account ${seed.account} seeded twice`);
      const balances = new Map<string, number>([[CARD_ACCTYPE, checkFen(seed.balanceFen)]]);
      for (const [acctype, fen] of Object.entries(seed.eAccounts ?? {})) balances.set(acctype, checkFen(fen));
      this.accounts.set(seed.account, { seed, balances });
    }
  }

  /** The next one-card serial: China date + 10 digits (18 characters). */
  nextOutId(chinaDay: string): string {
    this.serial += 1;
    return `${chinaDay}${String(1_000_000 + this.serial).padStart(10, '0')}`;
  }

  /** The live token, if not expired. */
  liveToken(): SandboxToken | undefined {
    if (this.token && this.token.expiresAt.getTime() <= this.now().getTime()) this.token = undefined;
    return this.token;
  }

  issueToken(ttlSeconds: number): SandboxToken {
    const issuedAt = this.now();
    this.token = {
      value: randomBytes(32).toString('hex'),
      issuedAt,
      expiresAt: new Date(issuedAt.getTime() + ttlSeconds * 1000),
    };
    this.lastTokenIssuedAt = issuedAt;
    this.tokenIssueCount += 1;
    return this.token;
  }

  view(): SandboxState {
    const world = this;
    const accountView = (record: AccountRecord): SandboxAccountView => {
      const eAccounts: Record<string, number> = {};
      for (const [acctype, fen] of record.balances) if (acctype !== CARD_ACCTYPE) eAccounts[acctype] = fen;
      return {
        account: record.seed.account,
        name: record.seed.name,
        ...(record.seed.sno === undefined ? {} : { sno: record.seed.sno }),
        ...(record.seed.phone === undefined ? {} : { phone: record.seed.phone }),
        balanceFen: record.balances.get(CARD_ACCTYPE) ?? 0,
        eAccounts,
        lost: record.seed.lost === true,
        frozen: record.seed.frozen === true,
      };
    };
    const orderView = (order: OrderRecord): SandboxOrder => {
      const { answer: _answer, ...rest } = order;
      return { ...rest, tradeTime: new Date(order.tradeTime) };
    };
    return {
      appKey: world.appKey,
      get accounts() {
        return [...world.accounts.values()].map(accountView);
      },
      account(account) {
        const record = world.accounts.get(account);
        return record ? accountView(record) : undefined;
      },
      balanceFen(account, acctype = CARD_ACCTYPE) {
        const fen = world.accounts.get(account)?.balances.get(acctype);
        if (fen === undefined) throw new Error(`sandbox has no account ${account} with acctype ${acctype}`);
        return fen;
      },
      setBalance(account, fen, acctype = CARD_ACCTYPE) {
        const record = world.accounts.get(account);
        if (!record) throw new Error(`sandbox has no account ${account}`);
        record.balances.set(acctype, checkFen(fen));
      },
      get orders() {
        return [...world.orders.values()].map(orderView);
      },
      get payments() {
        return [...world.orders.values()].filter((o) => o.type === 'PAYMENT').map(orderView);
      },
      get refunds() {
        return [...world.orders.values()].filter((o) => o.type === 'REFUND').map(orderView);
      },
      order(orderNo) {
        const order = world.orders.get(orderNo);
        return order ? orderView(order) : undefined;
      },
      setOrderStatus(orderNo, status) {
        const order = world.orders.get(orderNo);
        if (!order) throw new Error(`sandbox has no order ${orderNo}`);
        order.status = status;
      },
      get tokenIssueCount() {
        return world.tokenIssueCount;
      },
      get currentToken() {
        return world.liveToken();
      },
      invalidateToken() {
        world.token = undefined;
      },
      get calls() {
        return [...world.calls];
      },
      clearCalls() {
        world.calls.length = 0;
      },
    };
  }
}

function checkFen(fen: number): number {
  if (!Number.isSafeInteger(fen)) throw new Error(`sandbox balance must be integer fen, got ${fen}`);
  return fen;
}
