// Who is calling: the caller of an API Gateway event (API.md "Callers"). Deployed, its SigV4 identity
// (requestContext.identity.userArn); locally, the name the local server put where no client can write.
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { UnauthenticatedError } from '../callers/errors.js';
import type { Caller, Callers } from '../callers/registry.js';

/**
 * Where the local server (lib/local/http-gateway.ts) hands over the x-onecard-caller header: the request
 * context's authorizer, which API Gateway fills itself (null with IAM auth), so no deployed client
 * can set it, and which is read only when the callers are local.
 */
export const LOCAL_CALLER_FIELD = 'onecardCaller';

/**
 * The caller of `event`. Without a list, the one default caller; with one, the caller named locally
 * or matching the SigV4 identity deployed (an assumed-role session matches its role).
 * @throws UnauthenticatedError when a list is configured and no listed caller is named.
 */
export function callerOf(event: Partial<APIGatewayProxyEvent>, callers: Callers): Caller {
  if (!callers.listed && callers.defaultCaller) return callers.defaultCaller;
  if (callers.local) {
    const authorizer = event.requestContext?.authorizer as Record<string, unknown> | null | undefined;
    const name = authorizer?.[LOCAL_CALLER_FIELD];
    if (typeof name !== 'string' || name === '') throw new UnauthenticatedError('name the caller in the x-onecard-caller header');
    const caller = callers.byName(name);
    if (!caller) throw new UnauthenticatedError('x-onecard-caller names no configured caller');
    return caller;
  }
  const arn = event.requestContext?.identity?.userArn;
  const caller = typeof arn === 'string' ? callers.byPrincipal(arn) : undefined;
  if (!caller) throw new UnauthenticatedError('the request is not signed by a listed caller');
  return caller;
}
