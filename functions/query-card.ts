// POST /v1/cards/query → synjones.onecard.query.card: every card of one identity.
import { httpHandler } from '../lib/adapter/http-handler.js';
import { cardJson } from '../lib/presenters/cards.js';
import { getRuntime } from '../lib/runtime.js';

export const handler = httpHandler({
  name: 'query-card',
  routes: {
    'POST /v1/cards/query': async ({ body }) => {
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
