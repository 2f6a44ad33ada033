import { describe, expect, it } from 'vitest';
import { appendPage, emptyLog, showEarlier, splitLogLine, visibleLines } from './log-buffer.js';

const lines = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `line ${from + i}`);

describe('the log buffer', () => {
  it('renders the newest lines and widens to earlier ones on request', () => {
    let log = appendPage(emptyLog(), { lines: lines(0, 2500), offset: 100 });
    let view = visibleLines(log);
    expect(view.lines).toHaveLength(1000);
    expect(view.hidden).toBe(1500);
    expect(view.firstNumber).toBe(1501);
    log = showEarlier(log);
    view = visibleLines(log);
    expect(view.lines[0]).toBe('line 500');
    expect(visibleLines(showEarlier(showEarlier(log))).hidden).toBe(0);
  });

  it('keeps at most `keep` lines and counts the dropped ones in the numbering', () => {
    let log = appendPage(emptyLog(), { lines: lines(0, 8), offset: 80 }, 10);
    log = appendPage(log, { lines: lines(8, 14), offset: 140 }, 10);
    expect(log.lines).toEqual(lines(4, 14));
    expect(log.dropped).toBe(4);
    expect(log.offset).toBe(140);
    expect(visibleLines(log).firstNumber).toBe(5);
  });

  it('is unchanged by an empty page at the same offset', () => {
    const log = appendPage(emptyLog(), { lines: ['a'], offset: 2 });
    expect(appendPage(log, { lines: [], offset: 2 })).toBe(log);
  });

  it('splits the time since the run started from the text', () => {
    expect(splitLogLine('+1.250s hello world')).toEqual({ time: '+1.250s', text: 'hello world' });
    expect(splitLogLine('no time')).toEqual({ time: null, text: 'no time' });
  });
});
