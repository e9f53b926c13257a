// The sandbox's demo card holders (fake people, fake numbers), used unless options.accounts is given.
import type { SandboxAccountSeed } from './types.js';

export const DEMO_ACCOUNTS: readonly SandboxAccountSeed[] = [
  {
    account: '32718',
    name: '张三',
    sno: '2015032718',
    phone: '13800000001',
    cert: '110101199001010011',
    cardid: '00032718',
    barcode: '6200032718',
    pwd: '123456',
    balanceFen: 100_000,
    unsettleFen: 100,
    eAccounts: { '001': 5_000 },
    mscard: '1',
  },
  // 张三's secondary card: the same sno and cert, so a query by either returns two cards.
  {
    account: '32723',
    name: '张三',
    sno: '2015032718',
    cert: '110101199001010011',
    cardid: '00032723',
    balanceFen: 2_000,
    mscard: '2',
  },
  { account: '32719', name: '李四', sno: '2015032719', phone: '13800000002', cardid: '00032719', balanceFen: 5_000 },
  { account: '32720', name: '王五', sno: '2015032720', phone: '13800000003', cardid: '00032720', balanceFen: 0 },
  { account: '32721', name: '赵六', sno: '2015032721', cardid: '00032721', balanceFen: 10_000, lost: true },
  { account: '32722', name: '钱七', sno: '2015032722', cardid: '00032722', balanceFen: 10_000, frozen: true },
];
