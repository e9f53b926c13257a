// Bundled in place of @aws-sdk/credential-provider-node (esbuild alias, see gateway-functions.ts): on
// Lambda the role's credentials are always in the environment, so the SSO/INI/IMDS/web-identity chain
// (~100 KB minified, and its module init) is dead weight. Local runs and tests use the real chain.
import { fromEnv } from '@aws-sdk/credential-provider-env';

export const defaultProvider = (init?: Parameters<typeof fromEnv>[0]): ReturnType<typeof fromEnv> => fromEnv(init);
