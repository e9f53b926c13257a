// Counts the DynamoDB commands a client sends, by name, with a middleware on the client itself, so
// the bench and the tests report what went over the wire (not what the code is believed to send).
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

export interface DynamoCallLog {
  /** Command names in the order they were sent (e.g. 'PutItemCommand'). */
  readonly calls: readonly string[];
  /** Forgets the calls so far. */
  reset(): void;
  /** Runs `action` and returns the commands it sent. */
  during(action: () => Promise<unknown>): Promise<readonly string[]>;
}

/** Adds the counting middleware to `client` (once per client). */
export function countDynamoCalls(client: DynamoDBClient): DynamoCallLog {
  const calls: string[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      calls.push(context.commandName ?? 'unknown');
      return next(args);
    },
    { step: 'initialize', name: 'countDynamoCalls' },
  );
  return {
    calls,
    reset: () => {
      calls.length = 0;
    },
    async during(action) {
      const start = calls.length;
      await action();
      return calls.slice(start);
    },
  };
}

/** "2 (PutItem 1, UpdateItem 1)": the total and the count per command. */
export function describeCalls(calls: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const name of calls) {
    const short = name.replace(/Command$/, '');
    counts.set(short, (counts.get(short) ?? 0) + 1);
  }
  const parts = [...counts].sort(([a], [b]) => a.localeCompare(b)).map(([name, count]) => `${name} ${count}`);
  return `${calls.length} (${parts.join(', ')})`;
}
