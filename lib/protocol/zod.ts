// zod's tree-shakable "mini" API with the English messages the classic API loads by default: every
// schema on a Lambda's path uses it (~25 KB bundled instead of ~100 KB, and cheaper to build at init).
import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

export * from 'zod/mini';

// Issue messages ("Invalid input: expected string, received number") come from a locale; classic zod
// installs English on first use, mini leaves it to the application. An explicit choice elsewhere wins.
if (config().localeError === undefined) config(en());
