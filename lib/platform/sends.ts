// How many times one platform client call may send: the retry budget of lib/platform/client.ts,
// kept apart so lib/timings.ts can derive durations from it without importing the client.

/**
 * Retries after 40017. One is the rule; the second covers a token the table still held that was
 * itself killed by a token call whose answer never arrived (the platform issued a token nobody
 * received). Every 40017 is a rejection at the gate, so even money calls may repeat.
 */
export const MAX_TOKEN_RETRIES = 2;

/** Retries after 40004 (bad signature): one, after re-reading the credentials. */
export const MAX_CREDENTIAL_REFRESHES = 1;

/** Sends of one business call: the first, every 40017 retry and the 40004 retry. */
export const MAX_SENDS_PER_CALL = 1 + MAX_TOKEN_RETRIES + MAX_CREDENTIAL_REFRESHES;

/** Sends of the token call: it is never retried (a second call would break the 2-minute rule). */
export const TOKEN_CALL_SENDS = 1;
