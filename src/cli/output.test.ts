import { PassThrough } from 'node:stream';
import fc from 'fast-check';
import pc from 'picocolors';
import { describe, expect, it } from 'vitest';
import { FlowlineError } from '../core/errors.js';
import { jsonText, printable, renderTable, writeError } from './output.js';

/** Bidi controls and line/paragraph separators: they reorder or break what is shown. */
const INVISIBLE = new Set([0x061c, 0x200e, 0x200f, 0x2028, 0x2029, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e]);

/** Whether any character of `text` is one a terminal acts on (C0, DEL, C1, bidi), but `allowed`. */
function actsOnTerminal(text: string, allowed = ''): boolean {
  return [...text].some((char) => {
    const code = char.codePointAt(0) ?? 0;
    if (allowed.includes(char)) return false;
    return (
      code < 0x20 ||
      (code >= 0x7f && code <= 0x9f) ||
      INVISIBLE.has(code) ||
      (code >= 0x2066 && code <= 0x2069)
    );
  });
}

describe('printable', () => {
  it('shows escape sequences, bells, DEL, C1 and bidi controls as readable escapes', () => {
    expect(printable('ci\x1b]0;owned\x07')).toBe('ci\\x1b]0;owned\\x07');
    expect(printable('\x1b[2A\x1b[2K✔ all tests passed\r')).toBe('\\x1b[2A\\x1b[2K✔ all tests passed\\r');
    expect(printable('a\x7fb\x9bc')).toBe('a\\x7fb\\x9bc');
    expect(printable('invoice\u202egpj.exe \u2066x\u2069')).toBe('invoice\\u202egpj.exe \\u2066x\\u2069');
  });

  it('keeps tabs and newlines only where asked, and leaves other text alone', () => {
    expect(printable('a\tb\nc')).toBe('a\\tb\\nc');
    expect(printable('a\tb\nc', { tabs: true })).toBe('a\tb\\nc');
    expect(printable('a\tb\nc', { tabs: true, newlines: true })).toBe('a\tb\nc');
    expect(printable('héllo — ✔ 日本 C:\\path')).toBe('héllo — ✔ 日本 C:\\path');
  });

  it('leaves no character a terminal acts on, whatever the text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        expect(actsOnTerminal(printable(text))).toBe(false);
        expect(actsOnTerminal(printable(text, { tabs: true, newlines: true }), '\t\n')).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});

describe('renderTable', () => {
  it('escapes every cell and aligns on what is shown, colouring after the escape', () => {
    const colors = pc.createColors(true);
    const table = renderTable(
      [
        { host: 'ci\x1b]0;owned\x07', state: 'red' },
        { host: 'ok', state: 'green' },
      ],
      [
        { header: 'host', value: (r) => r.host },
        { header: 'state', value: (r) => r.state, paint: (text) => colors.red(text) },
      ],
    );
    const rows = table.split('\n').slice(1);
    expect(rows[0]).toBe(`ci\\x1b]0;owned\\x07  ${colors.red('red')}`);
    expect(rows[1]).toBe(`ok${' '.repeat('ci\\x1b]0;owned\\x07'.length - 2)}  ${colors.red('green')}`);
  });
});

describe('jsonText', () => {
  it('escapes DEL, C1 and bidi controls that JSON.stringify leaves raw, and reads back the same', () => {
    const value = { host: 'a\x1b\x07\x7f\x9b\u202eb', n: 1 };
    expect(actsOnTerminal(JSON.stringify(value))).toBe(true); // what this is for
    const text = jsonText(value);
    expect(actsOnTerminal(text, '\n')).toBe(false);
    expect(text).toContain('\\u009b');
    expect(text).toContain('\\u202e');
    expect(JSON.parse(text)).toEqual(value);
  });

  it('round-trips any value, with nothing but newlines and indentation a terminal acts on', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = jsonText(value);
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(value)));
        expect(actsOnTerminal(text, '\n')).toBe(false);
      }),
      { numRuns: 500 },
    );
  });
});

describe('writeError', () => {
  it('escapes the message, hint and issues of an error, which quote user text', () => {
    const stderr = new PassThrough();
    const stdout = new PassThrough();
    const error = new FlowlineError('FLOWLINE_NOT_FOUND', 'No stage named \x1b[2Kx.', {
      hint: 'Its stages: a\u202eb.',
      issues: [{ code: 'bad', message: 'key \x07', hint: 'h\x1b' }],
    });
    writeError({ stdout, stderr }, error, false);
    const text = String(stderr.read());
    expect(text).not.toContain('\x07');
    expect(text).not.toContain('\u202e');
    expect(text).not.toContain('\x1b[2K');
    expect(text).toContain('No stage named \\x1b[2Kx.');
    expect(text).toContain('a\\u202eb');
    expect(text).toContain('key \\x07');
  });
});
