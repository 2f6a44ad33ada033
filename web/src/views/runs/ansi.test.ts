import { describe, expect, it } from 'vitest';
import { parseAnsi, stripAnsi } from './ansi.js';

describe('parseAnsi', () => {
  it('turns colour codes into segments and resets them', () => {
    expect(parseAnsi('\x1b[31mred\x1b[0m plain \x1b[1;92mok\x1b[39m')).toEqual([
      { text: 'red', fg: 1 },
      { text: ' plain ' },
      { text: 'ok', fg: 10, bold: true },
    ]);
  });

  it('drops cursor moves, titles, 256-colour arguments and control characters', () => {
    expect(stripAnsi('\x1b]0;title\x07a\x1b[2K\x1b[1Gb\x1b[38;5;196mc\x1b[38;2;1;2;3md\x07\x08')).toBe(
      'abcd',
    );
    expect(parseAnsi('\x1b[38;5;196mc')).toEqual([{ text: 'c' }]);
  });

  it('keeps markup as text: the view renders it as text nodes', () => {
    expect(stripAnsi('<img src=x onerror=alert(1)>')).toBe('<img src=x onerror=alert(1)>');
  });
});
