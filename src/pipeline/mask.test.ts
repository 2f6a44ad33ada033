import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LineSplitter, MAX_LINE_CHARS } from './lines.js';
import { createMasker, MASK, MIN_SECRET_LENGTH } from './mask.js';

/** The forms a step may print a secret in, computed here with Node's own encoders. */
function derivedForms(secret: string): Record<string, string> {
  const bytes = Buffer.from(secret, 'utf8');
  const base64 = bytes.toString('base64');
  const forms: Record<string, string> = {
    base64,
    'base64 without padding': base64.replace(/=+$/, ''),
    base64url: bytes.toString('base64url'),
    hex: bytes.toString('hex'),
    'upper-case hex': bytes.toString('hex').toUpperCase(),
    'URL component': encodeURIComponent(secret),
    'URL component, lower-case hex': encodeURIComponent(secret).replace(/%[0-9A-F]{2}/g, (e) =>
      e.toLowerCase(),
    ),
    'form field': new URLSearchParams({ v: secret }).toString().slice(2),
  };
  // MIME (and GNU base64) cut base64 into lines of 76 characters.
  (base64.match(/.{1,76}/g) ?? []).forEach((line, i) => {
    forms[`MIME line ${i + 1}`] = line;
  });
  return forms;
}

/** The lines a command-line encoder prints for `input`. */
function encodeWith(command: string, args: string[], input: string): string[] {
  return execFileSync(command, args, { input }).toString().trimEnd().split('\n');
}

describe('createMasker', () => {
  it('masks every occurrence of each secret value, the longest first', () => {
    const mask = createMasker(['hunter22', 'hunter22-extended', undefined]);
    expect(mask('pw=hunter22 and hunter22-extended!')).toBe(`pw=${MASK} and ${MASK}!`);
  });

  it('masks two secrets that overlap as one stretch, whichever is listed first', () => {
    for (const order of [
      ['1234abcd', 'abcd5678'],
      ['abcd5678', '1234abcd'],
    ]) {
      expect(createMasker(order)('x 1234abcd5678 y')).toBe(`x ${MASK} y`);
    }
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

  it('masks the base64, base64url, hex and percent-encoded forms of a secret', () => {
    const secret = 's3cr3t p@ss/w>>>?~~~ü';
    const mask = createMasker([secret]);
    const forms = derivedForms(secret);
    // Each form differs from the others, so each is checked on its own.
    expect(forms.base64).not.toBe(forms.base64url);
    expect(forms['URL component']).not.toBe(forms['form field']);
    for (const [name, form] of Object.entries(forms)) {
      expect({ name, masked: mask(`value: ${form};`) }).toEqual({ name, masked: `value: ${MASK};` });
    }
  });

  it('masks a secret inside a longer base64 value, such as a Basic credential, at any alignment', () => {
    const secret = 'correct-horse-battery';
    const mask = createMasker([secret]);
    for (const user of ['a', 'ab', 'abc']) {
      const credential = Buffer.from(`${user}:${secret}`).toString('base64');
      const masked = mask(`Authorization: Basic ${credential}`);
      expect(masked).toContain(MASK);
      // What is left is the user's part and at most one character holding the secret's last bits.
      expect(masked.length - `Authorization: Basic ${MASK}`.length).toBeLessThanOrEqual(
        Math.ceil(((user.length + 1) * 4) / 3) + 3,
      );
    }
  });

  it('masks each line of base64 as GNU base64 (76 columns) and openssl (64 columns) wrap it', () => {
    const secret = `-----BEGIN KEY-----\n${'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC'.repeat(4)}\n-----END KEY-----`;
    const mask = createMasker([secret]);
    for (const [command, args] of [
      ['base64', []],
      ['openssl', ['base64']],
    ] as const) {
      const lines = encodeWith(command, [...args], secret);
      expect(lines.length).toBeGreaterThan(2);
      expect(lines.map(mask)).toEqual(lines.map(() => MASK));
      // `echo "$SECRET" | base64`: the secret followed by a newline; only its last bits may show.
      const echoed = encodeWith(command, [...args], `${secret}\n`).map(mask);
      expect(echoed.slice(0, -1)).toEqual(echoed.slice(0, -1).map(() => MASK));
      expect(echoed.at(-1)).toMatch(/^\*\*\*[A-Za-z0-9+/]{0,3}=*$/);
    }
  });

  it('never lets a derived form of a random secret survive masking in a line', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', minLength: MIN_SECRET_LENGTH, maxLength: 120 }),
        fc.string({ unit: 'binary', maxLength: 20 }),
        fc.string({ unit: 'binary', maxLength: 20 }),
        (secret, before, after) => {
          // A form holding `***` could be rebuilt from the mask itself and the text around it.
          fc.pre(!secret.includes('*'));
          const mask = createMasker([secret]);
          for (const form of Object.values(derivedForms(secret))) {
            if (form.length < MIN_SECRET_LENGTH) continue;
            expect(mask(`${before}${form}${after}`)).not.toContain(form);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('never lets the base64 characters that carry only a random secret survive, at any alignment', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 8 }),
        fc.string({ unit: 'binary', minLength: MIN_SECRET_LENGTH, maxLength: 80 }),
        fc.uint8Array({ maxLength: 8 }),
        fc.constantFrom('base64' as const, 'base64url' as const),
        (before, secret, after, encoding) => {
          const bytes = Buffer.from(secret, 'utf8');
          const encoded = Buffer.concat([before, bytes, after]).toString(encoding);
          // Base64 character i carries bits 6i…6i+5: these are the ones made of the secret's bits alone.
          const first = Math.ceil((before.length * 8) / 6);
          const end = Math.floor(((before.length + bytes.length) * 8) / 6);
          expect(createMasker([secret])(encoded)).not.toContain(encoded.slice(first, end));
        },
      ),
      { numRuns: 500 },
    );
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

  it('joins a derived form split across chunks, so it is masked too', () => {
    const secret = 's3cr3t-value';
    const mask = createMasker([secret]);
    const lines: string[] = [];
    const split = new LineSplitter((line) => lines.push(mask(line)));
    const hex = Buffer.from(secret).toString('hex');
    split.write(Buffer.from(`hex: ${hex.slice(0, 7)}`));
    split.write(Buffer.from(`${hex.slice(7)}\n`));
    split.end();
    expect(lines).toEqual([`hex: ${MASK}`]);
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
