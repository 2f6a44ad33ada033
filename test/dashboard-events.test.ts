import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../web/src/live/event-types.js';

describe('the live event types the page listens for', () => {
  it('are exactly those docs/api.md says GET /v1/events sends', () => {
    const api = readFileSync(new URL('../docs/api.md', import.meta.url), 'utf8');
    const table = api.slice(api.indexOf('| `event:` |'), api.indexOf('`audit.appended` is read'));
    const documented = [...table.matchAll(/`([a-z]+\.[A-Za-z.]+)`/g)].map((m) => m[1]);
    expect([...new Set(documented)].sort()).toEqual([...EVENT_TYPES].sort());
  });
});
