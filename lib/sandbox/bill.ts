// The daily bill as the sandbox platform writes it (spec 2.2.6, PROTOCOL.md "Bill download"):
// a `#` header, one comma-separated line per trade, a `#` footer line and `count,total`.
import { compactChinaTime } from './china-time.js';
import { fenToYuan } from './money.js';
import type { OrderRecord } from './state.js';

const HEADER = '#交易时间,账号,账户类型,商户号,一卡通业务流水号,第三方系统订单号,交易类型,交易状态,总金额,附加数据';
const FOOTER = '#总行数,总金额';

/** Bill text for orders in trade order; a line break inside attach is written as a space. */
export function billText(orders: readonly OrderRecord[]): string {
  const lines = [HEADER];
  let totalFen = 0;
  for (const order of orders) {
    totalFen += order.amountFen;
    lines.push(
      [
        compactChinaTime(order.tradeTime),
        order.account,
        order.acctype,
        order.mercacc,
        order.outId ?? '',
        order.orderNo,
        order.type === 'PAYMENT' ? '01' : '02',
        order.status === '77' ? '77' : '60',
        fenToYuan(order.amountFen),
        (order.attach ?? '').replace(/[\r\n]/g, ' '),
      ].join(','),
    );
  }
  lines.push(FOOTER, `${orders.length},${fenToYuan(totalFen)}`);
  return `${lines.join('\n')}\n`;
}
