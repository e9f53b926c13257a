// Run by des-paths.test.ts in a child process started with --openssl-legacy-provider: which DES path loads,
// and whether des-ecb, 3DES K|K|K and node-forge agree on random keys and data. Prints one JSON line.
import { randomBytes } from 'node:crypto';
import { createDesEcb, desEcbMode } from '../../lib/protocol/crypto.js';
import { forgeDesEcb } from './forge-reference.js';

const run = (mode: 'des-ecb' | 'des-ede3', encrypt: boolean, data: Buffer, key: Buffer): Buffer => {
  const cipher = createDesEcb(encrypt, key, mode);
  return Buffer.concat([cipher.update(data), cipher.final()]);
};
let agree = 0;
for (let i = 0; i < 200; i += 1) {
  const key = randomBytes(8);
  const data = randomBytes(8 * (1 + (i % 40)));
  const ecb = run('des-ecb', true, data, key);
  if (ecb.equals(run('des-ede3', true, data, key)) && ecb.equals(forgeDesEcb(true, data, key)) && run('des-ecb', false, ecb, key).equals(data)) agree += 1;
}
process.stdout.write(`${JSON.stringify({ mode: desEcbMode(), agree, node: process.version })}\n`);
