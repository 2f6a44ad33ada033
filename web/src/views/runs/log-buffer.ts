/**
 * The lines of a stage's log the page holds. A log can have millions of lines: the page keeps at
 * most `keep` of the newest in memory and renders a window of the last `shown` of those, which
 * "load earlier" widens. Pure and immutable, so the views re-render on each change.
 */

export interface LogBuffer {
  readonly lines: readonly string[];
  /** Lines read from the server but no longer kept (the oldest), so the page can say so. */
  readonly dropped: number;
  /** How many of the newest lines are rendered. */
  readonly shown: number;
  /** The byte offset to read from next. */
  readonly offset: number;
}

export const SHOW_STEP = 1000;
export const KEEP_MAX = 50_000;

/** An empty buffer reading from the start of the log. */
export function emptyLog(): LogBuffer {
  return { lines: [], dropped: 0, shown: SHOW_STEP, offset: 0 };
}

/** The buffer after a page was read: new lines appended, the oldest dropped past `keep`. */
export function appendPage(
  buffer: LogBuffer,
  page: { readonly lines: readonly string[]; readonly offset: number },
  keep: number = KEEP_MAX,
): LogBuffer {
  if (page.lines.length === 0 && page.offset === buffer.offset) return buffer;
  const all = buffer.lines.concat(page.lines);
  const excess = Math.max(0, all.length - keep);
  return {
    lines: excess === 0 ? all : all.slice(excess),
    dropped: buffer.dropped + excess,
    shown: buffer.shown,
    offset: page.offset,
  };
}

/** Renders `step` more of the earlier lines kept. */
export function showEarlier(buffer: LogBuffer, step: number = SHOW_STEP): LogBuffer {
  return { ...buffer, shown: Math.min(buffer.lines.length, buffer.shown) + step };
}

/** The lines to render, with the absolute number (1-based) of the first, and how many are hidden. */
export function visibleLines(buffer: LogBuffer): {
  readonly lines: readonly string[];
  readonly firstNumber: number;
  readonly hidden: number;
} {
  const start = Math.max(0, buffer.lines.length - buffer.shown);
  return { lines: buffer.lines.slice(start), firstNumber: buffer.dropped + start + 1, hidden: start };
}

/** `+12.345s text` → the time since the run started and the text; other lines are all text. */
export function splitLogLine(line: string): { readonly time: string | null; readonly text: string } {
  const match = /^(\+\d+(?:\.\d+)?s) (.*)$/s.exec(line);
  return match === null ? { time: null, text: line } : { time: match[1] ?? null, text: match[2] ?? '' };
}
