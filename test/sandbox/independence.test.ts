// The sandbox is the platform's stand-in (STYLE.md): it shares no code with the client's codec or
// the gateway, so agreeing with the client by construction cannot hide a misreading.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOM = join(import.meta.dirname, '../../lib/sandbox');

describe('lib/sandbox', () => {
  it('imports only node built-ins, iconv-lite and its own modules', () => {
    const imports = readdirSync(ROOM)
      .filter((file) => file.endsWith('.ts'))
      .flatMap((file) =>
        [...readFileSync(join(ROOM, file), 'utf8').matchAll(/^\s*(?:import|export)[^'"]*from\s+'([^']+)'/gm)].map((match) => `${file}: ${match[1]}`),
      );
    expect(imports.length).toBeGreaterThan(10);
    const foreign = imports.filter((entry) => !/: (node:[a-z/_]+|iconv-lite|\.\/[a-z-]+\.js)$/.test(entry));
    expect(foreign).toEqual([]);
  });
});
