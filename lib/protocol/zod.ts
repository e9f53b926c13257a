// zod's tree-shakable "mini" API with the English messages the classic API loads by default: every
// schema on a Lambda's path uses it (~25 KB bundled instead of ~100 KB, and cheaper to build at init).
import { config, lazy as zodLazy, type ZodMiniLazy } from 'zod/mini';
import type { SomeType } from 'zod/v4/core';
import en from 'zod/v4/locales/en.js';

export * from 'zod/mini';

/**
 * z.lazy, itself made on first use: a schema module's `export const X = z.lazy(() => …)` then constructs no zod
 * instance at module load. zod's first construction compiles and runs its type machinery, which cost each
 * function ~1 ms of its init for schemas it may never parse with (test/bench/bundles.bench.ts).
 */
export function lazy<T extends SomeType>(getter: () => T): ZodMiniLazy<T> {
  let schema: ZodMiniLazy<T> | undefined;
  const made = (): ZodMiniLazy<T> => (schema ??= zodLazy(getter));
  // Every operation on the stand-in is the schema's (as zod's own util.createTransparentProxy, which is not in zod/mini).
  return new Proxy({} as ZodMiniLazy<T>, {
    get: (_, key) => Reflect.get(made(), key),
    set: (_, key, value) => Reflect.set(made(), key, value),
    has: (_, key) => Reflect.has(made(), key),
    deleteProperty: (_, key) => Reflect.deleteProperty(made(), key),
    ownKeys: () => Reflect.ownKeys(made()),
    // Reported configurable: a proxy may not report a property the empty stand-in lacks as non-configurable (zod's `_zod` is).
    getOwnPropertyDescriptor: (_, key) => {
      const descriptor = Reflect.getOwnPropertyDescriptor(made(), key);
      return descriptor && { ...descriptor, configurable: true };
    },
    defineProperty: (_, key, descriptor) => Reflect.defineProperty(made(), key, descriptor),
    getPrototypeOf: () => Reflect.getPrototypeOf(made()),
  });
}

// Issue messages ("Invalid input: expected string, received number") come from a locale; classic zod
// installs English on first use, mini leaves it to the application. An explicit choice elsewhere wins.
// The locale's tables are built on the first issue message, not at module load.
if (config().localeError === undefined) {
  let english: ReturnType<typeof en>['localeError'] | undefined;
  config({ localeError: (issue) => (english ??= en().localeError)(issue) });
}
