import { describe, expect, it } from 'vitest';
import { LineSplitter, MAX_LINE_CHARS } from './lines.js';
import { createMasker, MASK } from './mask.js';

describe('createMasker', () => {
  it('masks every occurrence of each secret value, the longest first', () => {
    const mask = createMasker(['hunter22', 'hunter22-extended', undefined]);
    expect(mask('pw=hunter22 and hunter22-extended!')).toBe(`pw=${MASK} and ${MASK}!`);
  });

  it('masks Flowline tokens and bearer credentials whatever their source', () => {
    const mask = createMasker([]);
    const token = `flt_${'a'.repeat(40)}`;
    expect(mask(`curl -H "Authorization: Bearer abc.def" ${token}`)).toBe(
      `curl -H "Authorization: Bearer ${MASK}" ${MASK}`,
    );
  });

  it('leaves values too short to be secrets alone, and treats regex characters literally', () => {
    const mask = createMasker(['ab', 'a.b*c+d']);
    expect(mask('ab a.b*c+d axbbbc+d')).toBe(`ab ${MASK} axbbbc+d`);
  });

  it('masks each line of a multi-line secret', () => {
    const mask = createMasker(['-----BEGIN KEY-----\nMIIEsecretpart\n-----END KEY-----']);
    expect(mask('MIIEsecretpart')).toBe(MASK);
  });
});

describe('LineSplitter', () => {
  it('joins a line split across chunks, so a secret split by a chunk boundary is still masked', () => {
    const mask = createMasker(['s3cr3t-value']);
    const lines: string[] = [];
    const split = new LineSplitter((line) => lines.push(mask(line)));
    split.write(Buffer.from('token: s3cr'));
    split.write(Buffer.from('3t-value\nnext'));
    split.end();
    expect(lines).toEqual([`token: ${MASK}`, 'next']);
  });

  it('decodes a multi-byte character split across chunks, and ends lines on \\r, \\n and \\r\\n', () => {
    const lines: string[] = [];
    const split = new LineSplitter((line) => lines.push(line));
    const bytes = Buffer.from('héllo\r\nprogress 1\rprogress 2\n');
    split.write(bytes.subarray(0, 2));
    split.write(bytes.subarray(2));
    split.end();
    expect(lines).toEqual(['héllo', 'progress 1', 'progress 2']);
  });

  it('cuts a line longer than the limit instead of buffering it without end', () => {
    const lines: string[] = [];
    const split = new LineSplitter((line) => lines.push(line));
    split.write('x'.repeat(MAX_LINE_CHARS * 2 + 5));
    split.end();
    expect(lines.map((l) => l.length)).toEqual([MAX_LINE_CHARS, MAX_LINE_CHARS, 5]);
  });
});
