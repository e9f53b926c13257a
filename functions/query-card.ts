// POST /v1/cards/query → synjones.onecard.query.card: every card of one identity. Personal data: only
// callers with cards.query get here, and each query is logged with the caller's name (identity masked).
import { httpHandler } from '../lib/adapter/http-handler.js';
import { getLogger } from '../lib/observability/logger.js';
import { maskTail } from '../lib/observability/redaction.js';
import { cardJson } from '../lib/presenters/cards.js';
import { getRuntime } from '../lib/runtime.js';

export const handler = httpHandler({
  name: 'query-card',
  routes: {
    'POST /v1/cards/query': async ({ body, caller, requestId }) => {
      getLogger().info('card query', { request_id: requestId, caller: caller.name, idtype: body.idtype, identity: maskTail(body.id) });
      const { platform } = await getRuntime();
      const cards = await platform.queryCard({
        idtype: body.idtype,
        id: body.id,
        ...(body.get_merge !== undefined ? { getMerge: body.get_merge } : {}),
        ...(body.pwd !== undefined ? { pwd: body.pwd } : {}),
      });
      return { statusCode: 200, body: { cards: cards.map(cardJson) } };
    },
  },
});
