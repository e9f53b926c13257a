// Both single-DES paths of lib/protocol/crypto.ts: des-ecb through OpenSSL's legacy provider (in a child process
// started with --openssl-legacy-provider, as the bill function's NODE_OPTIONS does) and 3DES-ECB K|K|K where the
// provider is not loaded (this process), each cross-checked with node-forge and through the streamed bill decryptor.
import { execFileSync } from 'node:child_process';
import { createDecipheriv } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BillBodyDecryptor } from '../../lib/protocol/bill-decode.js';
import { createDesEcb, desEcbMode } from '../../lib/protocol/crypto.js';
import { forgeDesEcb } from './forge-reference.js';

const key8 = fc.uint8Array({ minLength: 8, maxLength: 8 }).map((bytes) => Buffer.from(bytes));
const blocks = fc.integer({ min: 1, max: 64 }).chain((n) => fc.uint8Array({ minLength: n * 8, maxLength: n * 8 })).map((b) => Buffer.from(b));

function legacyLoadsHere(): boolean {
  try {
    createDecipheriv('des-ecb', Buffer.alloc(8), null);
    return true;
  } catch {
    return false;
  }
}

describe('single DES paths', () => {
  it('picks des-ecb exactly when the legacy provider is loaded in this process', () => {
    expect(desEcbMode()).toBe(legacyLoadsHere() ? 'des-ecb' : 'des-ede3');
  });

  it('3DES K|K|K equals node-forge DES-ECB both ways, and so does the streamed decryptor forced onto it (property)', () => {
    fc.assert(
      fc.property(key8, blocks, fc.integer({ min: 1, max: 50 }), (key, data, size) => {
        const cipher = createDesEcb(true, key, 'des-ede3');
        const encrypted = Buffer.concat([cipher.update(data), cipher.final()]);
        expect(encrypted.equals(forgeDesEcb(true, data, key))).toBe(true);
        const body = encrypted.toString('base64');
        const decryptor = new BillBodyDecryptor(key, 'des-ede3');
        const parts: Uint8Array[] = [];
        for (let at = 0; at < body.length; at += size) parts.push(decryptor.push(body.slice(at, at + size)));
        parts.push(decryptor.end());
        let end = data.length;
        while (end > 0 && data[end - 1] === 0) end -= 1;
        expect(Buffer.concat(parts).equals(data.subarray(0, end))).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it('with --openssl-legacy-provider (a child process) uses des-ecb, equal to 3DES K|K|K and node-forge', () => {
    const child = fileURLToPath(new URL('./des-paths.child.ts', import.meta.url));
    const out = execFileSync(process.execPath, ['--openssl-legacy-provider', '--import', 'tsx', child], {
      encoding: 'utf8',
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    const result = JSON.parse(out.trim().split('\n').pop()!) as { mode: string; agree: number; node: string };
    expect(result).toEqual({ mode: 'des-ecb', agree: 200, node: process.version });
  }, 30_000);
});
