// The local sink: every event appended as one JSON line to ONECARD_EVENTS_FILE (default events.jsonl in
// the local data directory). One appendFile per batch, so a batch's lines are never interleaved.
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { EventSink } from './sink.js';

export const DEFAULT_EVENTS_FILE_NAME = 'events.jsonl';

export function createFileSink(file: string): EventSink {
  return {
    target: file,
    async put(events) {
      if (events.length === 0) return [];
      await mkdir(dirname(file), { recursive: true });
      await appendFile(file, events.map((event) => `${JSON.stringify(event)}\n`).join(''), 'utf8');
      return [];
    },
  };
}
