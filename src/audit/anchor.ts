import { open, readFile } from 'node:fs/promises';
import type { Clock } from '../core/clock.js';
import { FlowlineError } from '../core/errors.js';
import type { AuditHead, AuditLog } from './types.js';

/**
 * Heads of the audit chain saved outside the store, and the anchor file that holds them.
 *
 * The chain's own head record lives in the database it protects: whoever can write the store can
 * rewrite every event and the head together, and the chain still verifies. A head saved elsewhere
 * is not rewritten with them. `flowline serve` appends its head to the anchor file
 * (FLOWLINE_AUDIT_ANCHOR) and `flowline audit verify --anchor FILE` checks every line, so an old
 * line still catches a rewrite of old history.
 *
 * The format (docs/cli.md): one JSON object per line, oldest first,
 * `{"seq":12,"hash":"<64 hex digits>","at":"<ISO time>"}`. The file is only ever opened for
 * appending (so an append-only file, `chattr +a`, works) and is created 0600.
 */

/** How often `flowline serve` saves its head when it changed. */
export const ANCHOR_INTERVAL_MS = 60_000;

/**
 * The most saved heads one `GET /v1/audit/verify` takes in its query: 100 heads of ~75
 * characters stay well inside the request-line limits of servers and proxies. Clients with more
 * (a long anchor file) send them in several requests.
 */
export const MAX_HEADS_PER_REQUEST = 100;

const HASH = /^[0-9a-f]{64}$/;

/** A head from its parts, or undefined when `seq` is not a whole number ≥ 0 or `hash` not sha256 hex. */
function toHead(seq: unknown, hash: unknown): AuditHead | undefined {
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) return undefined;
  if (typeof hash !== 'string' || !HASH.test(hash.toLowerCase())) return undefined;
  return { seq, hash: hash.toLowerCase() };
}

/** Parses `<seq>:<hash>` as `flowline audit head` prints it; FLOWLINE_AUDIT_ANCHOR_INVALID otherwise. */
export function parseHead(text: string, where = '--head'): AuditHead {
  const [seq, hash, ...rest] = text.trim().split(':');
  const head = rest.length === 0 && /^\d+$/.test(seq ?? '') ? toHead(Number(seq), hash) : undefined;
  if (head === undefined) {
    throw new FlowlineError(
      'FLOWLINE_AUDIT_ANCHOR_INVALID',
      `${where} \`${text.slice(0, 100)}\` is not a saved audit head.`,
      { hint: 'Give it as `flowline audit head` prints it: <seq>:<64 hex digits>, e.g. 12:9f86d08…' },
    );
  }
  return head;
}

/** One line of the anchor file. */
function anchorLine(head: AuditHead, at: Date): string {
  return `${JSON.stringify({ seq: head.seq, hash: head.hash, at: at.toISOString() })}\n`;
}

/**
 * Every head in an anchor file, in file order. A line that is not a head (a torn write, an edit)
 * is an error naming its line: skipping it could skip the one line that catches a rewrite.
 */
export function parseAnchorFile(text: string, file: string): AuditHead[] {
  const heads: AuditHead[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]?.trim() ?? '';
    if (line === '') continue;
    const head = headOfLine(line);
    if (head === undefined) {
      throw new FlowlineError(
        'FLOWLINE_AUDIT_ANCHOR_INVALID',
        `Line ${i + 1} of ${file} is not a saved audit head.`,
        {
          hint: 'Each line is {"seq":<n>,"hash":"<64 hex digits>","at":"<time>"}, as `flowline serve` appends them; find out who changed the file.',
          location: { file, line: i + 1 },
        },
      );
    }
    heads.push(head);
  }
  if (heads.length === 0) {
    throw new FlowlineError('FLOWLINE_AUDIT_ANCHOR_INVALID', `${file} holds no saved audit head.`, {
      hint: 'Point --anchor at the file FLOWLINE_AUDIT_ANCHOR names on the server (`flowline serve` appends to it).',
      location: { file },
    });
  }
  return heads;
}

/** Reads and parses an anchor file; FLOWLINE_USAGE when it cannot be read. */
export async function readAnchorFile(file: string): Promise<AuditHead[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new FlowlineError('FLOWLINE_USAGE', `Cannot read the anchor file ${file}.`, {
      hint: 'Give the file FLOWLINE_AUDIT_ANCHOR names on the server (or a copy of it).',
      cause: error,
    });
  }
  return parseAnchorFile(text, file);
}

function headOfLine(line: string): AuditHead | undefined {
  try {
    const value = JSON.parse(line) as { seq?: unknown; hash?: unknown } | null;
    return value !== null && typeof value === 'object' ? toHead(value.seq, value.hash) : undefined;
  } catch {
    return undefined;
  }
}

export interface AnchorWriterDeps {
  /** Whose head to save. */
  readonly audit: Pick<AuditLog, 'head'>;
  /** The anchor file; undefined: the writer does nothing (no FLOWLINE_AUDIT_ANCHOR). */
  readonly file: string | undefined;
  readonly clock: Clock;
  /** How often to save the head when it changed; default {@link ANCHOR_INTERVAL_MS}. */
  readonly intervalMs?: number;
  /**
   * Calls `tick` every `ms` until the returned function is called (default: a timer that does not
   * keep the process alive); tests drive it by hand and await the save each tick returns.
   */
  readonly every?: (ms: number, tick: () => Promise<void>) => () => void;
  readonly log?: (line: string) => void;
}

/** Appends the audit head to the anchor file while the server runs. */
export interface AnchorWriter {
  /**
   * Checks that the file can be opened for appending (creating it 0600), saves the head if it
   * differs from the file's last line, then every interval. FLOWLINE_SETTING_INVALID when the
   * file cannot be opened.
   */
  start(): Promise<void>;
  /** Stops the timer and saves the head a last time, if it changed. */
  stop(): Promise<void>;
}

/** The anchor writer of `flowline serve`; see the module comment. */
export function createAnchorWriter(deps: AnchorWriterDeps): AnchorWriter {
  const { file, clock } = deps;
  const log = deps.log ?? (() => {});
  if (file === undefined) return { start: async () => {}, stop: async () => {} };
  let last: AuditHead | undefined;
  let cancel: (() => void) | undefined;
  // Saves run one after another, so two ticks never append the same head twice.
  let queue = Promise.resolve();

  const saveNow = async () => {
    let head: AuditHead;
    try {
      head = await deps.audit.head();
    } catch (error) {
      log(`audit anchor: cannot read the audit head, nothing saved: ${messageOf(error)}`);
      return;
    }
    if (last !== undefined && last.seq === head.seq && last.hash === head.hash) return;
    try {
      await append(file, anchorLine(head, clock.now()));
      last = head;
    } catch (error) {
      log(`audit anchor: cannot append to ${file} (tried again next time): ${messageOf(error)}`);
    }
  };
  const save = () => {
    queue = queue.then(saveNow);
    return queue;
  };

  return {
    async start() {
      try {
        last = await lastHead(file);
      } catch (error) {
        throw new FlowlineError(
          'FLOWLINE_SETTING_INVALID',
          `FLOWLINE_AUDIT_ANCHOR \`${file}\` cannot be opened for appending: ${messageOf(error)}.`,
          {
            hint: 'Point it at a file in an existing folder Flowline may write, best outside FLOWLINE_HOME (another disk, a log shipper).',
          },
        );
      }
      await save();
      const every = deps.every ?? repeat;
      cancel = every(deps.intervalMs ?? ANCHOR_INTERVAL_MS, save);
    },
    async stop() {
      cancel?.();
      cancel = undefined;
      await save();
    },
  };
}

/** Opens the file for appending (created 0600) and returns the head on its last line, if any. */
async function lastHead(file: string): Promise<AuditHead | undefined> {
  const handle = await open(file, 'a+', 0o600);
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, 4096); // a line is ~110 bytes: the tail holds the last one
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    const lines = buffer.toString('utf8').split('\n');
    // A torn last line (no newline) is no head: the next append then starts a line of its own.
    if (lines.at(-1) !== '') return undefined;
    return headOfLine(lines.at(-2) ?? '');
  } finally {
    await handle.close();
  }
}

/** Appends and syncs one line: the anchor is only worth something once it is on disk. */
async function append(file: string, line: string): Promise<void> {
  const handle = await open(file, 'a+', 0o600);
  try {
    const { size } = await handle.stat();
    const tail = Buffer.alloc(size === 0 ? 0 : 1);
    if (size > 0) await handle.read(tail, 0, 1, size - 1);
    // After a torn write, start on a fresh line rather than glue two heads together.
    await handle.appendFile(size > 0 && tail.toString() !== '\n' ? `\n${line}` : line);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function repeat(ms: number, tick: () => Promise<void>): () => void {
  const timer = setInterval(() => void tick(), ms);
  timer.unref();
  return () => clearInterval(timer);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
