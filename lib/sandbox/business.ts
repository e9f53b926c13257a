// The sandbox platform's business rules, one handler per method: they read the decrypted root
// object, change the in-memory world, and return the business JSON (retcode/errmsg + data).
import { billText } from './bill.js';
import { chinaDay } from './china-time.js';
import { platformYuan, yuanToFen } from './money.js';
import { CARD_ACCTYPE, type OrderRecord, type SandboxWorld } from './state.js';
import type { SandboxAccountSeed } from './types.js';

export type BusinessAnswer = Record<string, unknown> & { retcode: string; errmsg: string };

export interface BusinessContext {
  readonly world: SandboxWorld;
  readonly now: () => Date;
  readonly paidReplay: 'original' | '60070';
  readonly tokenTtlSeconds: number;
  readonly minTokenIntervalMs: number;
}

/** A refusal found while reading the request; becomes `{retcode, errmsg}`. */
class Refusal extends Error {
  constructor(readonly retcode: string, readonly errmsg: string) {
    super(errmsg);
  }
}

const ID_TYPES = ['sno', 'id', 'phone', 'acc', 'cardid', 'barcode'] as const;
type IdType = (typeof ID_TYPES)[number];
const DEFAULT_PWD = '000000';
const MAX_PAY_QUERIES = 50;

function refusal(retcode: string, errmsg: string): BusinessAnswer {
  return { retcode, errmsg };
}

function guard(run: () => BusinessAnswer): BusinessAnswer {
  try {
    return run();
  } catch (error) {
    if (error instanceof Refusal) return refusal(error.retcode, error.errmsg);
    throw error;
  }
}

interface StringRule {
  readonly required?: boolean;
  /** Maximum UTF-8 bytes. */
  readonly max: number;
}

function readString(root: Record<string, unknown>, name: string, rule: StringRule): string | undefined {
  const value = root[name];
  if (value === undefined || value === null || value === '') {
    if (rule.required) throw new Refusal('60002', `参数错误: ${name} 不可为空`);
    return undefined;
  }
  if (typeof value !== 'string') throw new Refusal('60002', `参数错误: ${name} 应为字符串`);
  // The spec's String(n) limits are bytes (最大字节长度), counted in the wire encoding, UTF-8.
  if (Buffer.byteLength(value, 'utf8') > rule.max) throw new Refusal('60002', `参数错误: ${name} 超长 (最大 ${rule.max} 字节)`);
  return value;
}

function readRequired(root: Record<string, unknown>, name: string, max: number): string {
  const value = readString(root, name, { required: true, max });
  if (value === undefined) throw new Refusal('60002', `参数错误: ${name} 不可为空`);
  return value;
}

function readAmount(root: Record<string, unknown>): { fen: number; sent: unknown } {
  const sent = root.tranamt;
  if (typeof sent !== 'string' && typeof sent !== 'number') throw new Refusal('60002', '参数错误: tranamt');
  const fen = yuanToFen(sent);
  if (fen === undefined) throw new Refusal('60002', '参数错误: tranamt 金额不合法');
  return { fen, sent };
}

function readTermid(root: Record<string, unknown>): string | undefined {
  const value = root.termid;
  if (value === undefined || value === null || value === '') return undefined;
  const text = typeof value === 'number' ? String(value) : value;
  if (typeof text !== 'string' || !/^[0-9]{1,4}$/.test(text) || Number(text) < 1) {
    throw new Refusal('60002', '参数错误: termid 范围为 1-9999');
  }
  return String(Number(text));
}

export { platformYuan };

// ---- token ---------------------------------------------------------------------------------

/** The retcode of a token call sooner than the platform allows. */
export const TOKEN_TOO_FREQUENT = '60066';

export function issueAccessToken(context: BusinessContext): BusinessAnswer {
  const { world, now } = context;
  const last = world.lastTokenIssuedAt;
  // A clock moved back (control route) does not lock the token call out until it catches up.
  const elapsed = last ? now().getTime() - last.getTime() : Number.POSITIVE_INFINITY;
  if (elapsed >= 0 && elapsed < context.minTokenIntervalMs) {
    return refusal(TOKEN_TOO_FREQUENT, '获取访问令牌间隔时间过短');
  }
  const token = world.issueToken(context.tokenTtlSeconds);
  return { retcode: '0', errmsg: '', access_token: token.value, expires_in: String(context.tokenTtlSeconds) };
}

// ---- query.card ----------------------------------------------------------------------------

export function queryCard(context: BusinessContext, root: Record<string, unknown>): BusinessAnswer {
  return guard(() => {
    const idtype = readRequired(root, 'idtype', 16);
    if (!(ID_TYPES as readonly string[]).includes(idtype)) throw new Refusal('60002', '参数错误: idtype');
    const id = readRequired(root, 'id', 32);
    const getMerge = readString(root, 'get_merge', { max: 1 });
    if (getMerge !== undefined && getMerge !== '0' && getMerge !== '1') throw new Refusal('60002', '参数错误: get_merge');
    const pwd = readString(root, 'pwd', { max: 32 });
    const matches = [...context.world.accounts.values()].filter(({ seed }) => {
      const byType: Record<IdType, string | undefined> = {
        sno: seed.sno,
        id: seed.cert,
        phone: seed.phone,
        acc: seed.account,
        cardid: seed.cardid,
        barcode: seed.barcode,
      };
      return byType[idtype as IdType] === id;
    });
    if (matches.length === 0) {
      return idtype === 'acc' ? refusal('60003', '账户不存在') : refusal('60004', '身份信息不存在');
    }
    // The query password (校园卡查询密码) is the holder's: a secondary card without one of its own takes
    // its main card's, so a query by sno or cert with the holder's password answers every card.
    const mainCardPwd = (sno: string | undefined): string | undefined =>
      [...context.world.accounts.values()].find(({ seed }) => sno !== undefined && seed.sno === sno && seed.mscard === '1')?.seed.pwd;
    const expectedPwd = (seed: SandboxAccountSeed): string => seed.pwd ?? mainCardPwd(seed.sno) ?? DEFAULT_PWD;
    if (pwd !== undefined && matches.some(({ seed }) => expectedPwd(seed) !== pwd)) {
      return refusal('60005', '密码错误');
    }
    const secondaryCount = (sno: string | undefined): number =>
      sno === undefined ? 0 : matches.filter(({ seed }) => seed.sno === sno && seed.mscard === '2').length;
    const card = matches.map(({ seed, balances }) => ({
      account: seed.account,
      name: seed.name,
      unsettle_amount: String(seed.unsettleFen ?? 0),
      db_balance: String(balances.get(CARD_ACCTYPE) ?? 0),
      lostflag: seed.lost ? '1' : '0',
      freezeflag: seed.frozen ? '1' : '0',
      idflag: seed.cert ? '1' : '0',
      barflag: seed.barcode ? '1' : '0',
      createdate: seed.createdate ?? '20150901',
      expdate: seed.expdate ?? '20350901',
      cardtype: seed.cardtype ?? '1',
      cardname: seed.cardname ?? '本科生',
      bankacc: seed.bankacc ?? '',
      sno: seed.sno ?? '',
      phone: seed.phone ?? '',
      certtype: seed.cert ? (seed.certtype ?? '001') : '',
      cert: seed.cert ?? '',
      autotrans_limite: '0',
      autotrans_amt: '0',
      autotrans_flag: '0',
      mscard: seed.mscard ?? '0',
      scard_num: String(seed.mscard === '1' ? secondaryCount(seed.sno) : 0),
      ...(getMerge === undefined ? {} : { merge_flag: '0' }),
    }));
    return { retcode: '0', errmsg: '', card };
  });
}

// ---- pay and refund --------------------------------------------------------------------------

interface MoneyRequest {
  readonly type: 'PAYMENT' | 'REFUND';
  readonly orderNo: string;
  readonly account: string;
  readonly acctype: string;
  readonly mercacc: string;
  readonly amountFen: number;
  readonly remark?: string;
  readonly attach?: string;
  readonly termid?: string;
  readonly refundOrderNo?: string;
}

/** The parameter in which a replayed order_no differs from the recorded order, if any. */
function differingParameter(order: OrderRecord, request: MoneyRequest): string | undefined {
  const pairs: [string, unknown, unknown][] = [
    ['type', order.type, request.type],
    ['account', order.account, request.account],
    ['acctype', order.acctype, request.acctype],
    ['mercacc', order.mercacc, request.mercacc],
    ['tranamt', order.amountFen, request.amountFen],
    ['remark', order.remark, request.remark],
    ['attach', order.attach, request.attach],
    ['termid', order.termid, request.termid],
    ['refund_order_no', order.refundOrderNo, request.refundOrderNo],
  ];
  return pairs.find(([, recorded, sent]) => recorded !== sent)?.[0];
}

/** An order_no seen before: 60045 when parameters differ, else the original answer. */
function replay(context: BusinessContext, order: OrderRecord, request: MoneyRequest): BusinessAnswer {
  const differing = differingParameter(order, request);
  if (differing !== undefined) return refusal('60045', `订单号重复: ${differing} 与原订单不一致`);
  const answer = { ...order.answer } as BusinessAnswer;
  if (order.retcode === '0' && context.paidReplay === '60070') {
    answer.retcode = '60070';
    answer.errmsg = '订单已支付';
  }
  return answer;
}

function record(
  context: BusinessContext,
  request: MoneyRequest,
  outcome: { retcode: string; errmsg: string; outId?: string },
  answer: BusinessAnswer,
): BusinessAnswer {
  const tradeTime = new Date(Math.floor(context.now().getTime() / 1000) * 1000);
  const order: OrderRecord = {
    ...request,
    status: outcome.retcode === '0' ? '60' : '77',
    retcode: outcome.retcode,
    errmsg: outcome.errmsg,
    tradeTime,
    refundedFen: 0,
    answer,
  };
  if (outcome.outId !== undefined) order.outId = outcome.outId;
  context.world.orders.set(request.orderNo, order);
  return answer;
}

export function pay(context: BusinessContext, root: Record<string, unknown>): BusinessAnswer {
  return guard(() => {
    const account = readRequired(root, 'account', 10);
    const amount = readAmount(root);
    const acctype = readRequired(root, 'acctype', 3);
    const mercacc = readRequired(root, 'mercacc', 10);
    const orderNo = readRequired(root, 'order_no', 32);
    const remark = readString(root, 'remark', { max: 128 });
    const attach = readString(root, 'attach', { max: 128 });
    const termid = readTermid(root);
    const request: MoneyRequest = {
      type: 'PAYMENT',
      orderNo,
      account,
      acctype,
      mercacc,
      amountFen: amount.fen,
      ...(remark === undefined ? {} : { remark }),
      ...(attach === undefined ? {} : { attach }),
      ...(termid === undefined ? {} : { termid }),
    };
    const existing = context.world.orders.get(orderNo);
    if (existing) return replay(context, existing, request);

    const echo = { account, tranamt: amount.sent, acctype, mercacc, remark: remark ?? '', order_no: orderNo };
    const refuse = (retcode: string, errmsg: string): BusinessAnswer =>
      record(context, request, { retcode, errmsg }, { retcode, errmsg, ...echo });

    const holder = context.world.accounts.get(account);
    if (!holder) return refuse('60003', '账户不存在');
    const balance = holder.balances.get(acctype);
    if (balance === undefined) return refuse('60006', '电子账户不存在');
    if (holder.seed.lost) return refuse('60007', '账户已挂失');
    if (holder.seed.frozen) return refuse('60013', '账户已冻结');
    if (balance < amount.fen) return refuse('60010', '余额不足');

    holder.balances.set(acctype, balance - amount.fen);
    const outId = context.world.nextOutId(chinaDay(context.now()));
    return record(context, request, { retcode: '0', errmsg: '', outId }, { retcode: '0', errmsg: '', ...echo, out_id: outId });
  });
}

export function refund(context: BusinessContext, root: Record<string, unknown>): BusinessAnswer {
  return guard(() => {
    const account = readRequired(root, 'account', 10);
    const amount = readAmount(root);
    const acctype = readRequired(root, 'acctype', 3);
    const mercacc = readRequired(root, 'mercacc', 10);
    const orderNo = readRequired(root, 'order_no', 32);
    const spelled = readString(root, 'refund_order_no', { max: 32 });
    const misspelled = readString(root, 'reund_order_no', { max: 32 });
    if (spelled !== undefined && misspelled !== undefined && spelled !== misspelled) {
      throw new Refusal('60002', '参数错误: refund_order_no 与 reund_order_no 不一致');
    }
    const refundOrderNo = spelled ?? misspelled;
    if (refundOrderNo === undefined) throw new Refusal('60002', '参数错误: refund_order_no 不可为空');
    const refundKey = spelled !== undefined ? 'refund_order_no' : 'reund_order_no';
    const termid = readTermid(root);
    const request: MoneyRequest = {
      type: 'REFUND',
      orderNo,
      account,
      acctype,
      mercacc,
      amountFen: amount.fen,
      refundOrderNo,
      ...(termid === undefined ? {} : { termid }),
    };
    const existing = context.world.orders.get(orderNo);
    if (existing) return replay(context, existing, request);

    const echo = { account, tranamt: amount.sent, acctype, mercacc, order_no: orderNo, [refundKey]: refundOrderNo };
    const refuse = (retcode: string, errmsg: string): BusinessAnswer =>
      record(context, request, { retcode, errmsg }, { retcode, errmsg, ...echo });

    const original = context.world.orders.get(refundOrderNo);
    if (!original || original.type !== 'PAYMENT') return refuse('60073', '原支付订单不存在');
    if (original.status === '77') return refuse('60069', '原支付订单已失败');
    if (original.status === '20') return refuse('60053', '原支付订单状态不允许退款');
    if (original.account !== account || original.acctype !== acctype || original.mercacc !== mercacc) {
      return refuse('60002', '退款信息与原支付订单不一致');
    }
    if (original.refundedFen + amount.fen > original.amountFen) return refuse('60002', '退款金额超过原支付订单可退金额');
    const holder = context.world.accounts.get(account);
    const balance = holder?.balances.get(acctype);
    if (!holder || balance === undefined) return refuse('60003', '账户不存在');

    holder.balances.set(acctype, balance + amount.fen);
    original.refundedFen += amount.fen;
    if (original.refundedFen === original.amountFen) original.status = '80';
    const outId = context.world.nextOutId(chinaDay(context.now()));
    return record(context, request, { retcode: '0', errmsg: '', outId }, { retcode: '0', errmsg: '', ...echo, out_id: outId });
  });
}

// ---- pay.query -------------------------------------------------------------------------------

export function payQuery(context: BusinessContext, root: Record<string, unknown>): BusinessAnswer {
  return guard(() => {
    const items = root.pay_queries;
    if (!Array.isArray(items) || items.length === 0 || items.length > MAX_PAY_QUERIES) {
      throw new Refusal('60002', `参数错误: pay_queries 应为 1-${MAX_PAY_QUERIES} 项`);
    }
    const payQuerys = items.map((item: unknown) => {
      if (typeof item !== 'object' || item === null || Array.isArray(item)) {
        throw new Refusal('60002', '参数错误: pay_queries');
      }
      const fields = item as Record<string, unknown>;
      const account = readRequired(fields, 'account', 10);
      const acctype = readRequired(fields, 'acctype', 3);
      const orderNo = readRequired(fields, 'order_no', 32);
      const order = context.world.orders.get(orderNo);
      if (!order || order.account !== account || order.acctype !== acctype) {
        return { account, acctype, order_no: orderNo, order_status: '78', order_desc: '订单不存在', retcode: '0', errmsg: '操作成功' };
      }
      return {
        account,
        acctype,
        order_no: orderNo,
        out_id: order.outId ?? '',
        tranamt: platformYuan(order.amountFen),
        order_status: order.status,
        order_desc: order.status === '77' ? order.errmsg : '',
        retcode: '0',
        errmsg: '操作成功',
      };
    });
    return { retcode: '0', errmsg: '', pay_querys: payQuerys };
  });
}

// ---- down.bill -------------------------------------------------------------------------------

export type BillOutcome =
  | { readonly kind: 'bill'; readonly text: string; readonly cryptType: '0' | '1' }
  | { readonly kind: 'refused'; readonly answer: BusinessAnswer };

export function downBill(context: BusinessContext, root: Record<string, unknown>): BillOutcome {
  try {
    const billDate = readRequired(root, 'bill_date', 8);
    if (!isCalendarDate(billDate)) throw new Refusal('60002', '参数错误: bill_date');
    const billType = readRequired(root, 'bill_type', 8);
    if (billType !== 'ALL' && billType !== 'SUCCESS') throw new Refusal('60002', '参数错误: bill_type');
    const cryptType = readRequired(root, 'crypt_type', 1);
    if (cryptType !== '0' && cryptType !== '1') throw new Refusal('60002', '参数错误: crypt_type');
    if (billDate > chinaDay(context.now())) throw new Refusal('60038', '无数据');
    const orders = [...context.world.orders.values()]
      .filter((order) => chinaDay(order.tradeTime) === billDate)
      .filter((order) => billType === 'ALL' || order.status !== '77')
      .sort((a, b) => a.tradeTime.getTime() - b.tradeTime.getTime()); // stable: same second keeps arrival order
    return { kind: 'bill', text: billText(orders), cryptType };
  } catch (error) {
    if (error instanceof Refusal) return { kind: 'refused', answer: refusal(error.retcode, error.errmsg) };
    throw error;
  }
}

function isCalendarDate(text: string): boolean {
  const match = /^(\d{4})(\d{2})(\d{2})$/.exec(text);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}
