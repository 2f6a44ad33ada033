import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { api, query } from '../../api/client.js';
import type { LogPage } from '../../api/runs.js';
import { ErrorBox } from '../../components/status.js';
import { plural } from '../../format.js';
import { useLive } from '../../live/events.js';
import { parseAnsi } from './ansi.js';
import {
  appendPage,
  emptyLog,
  type LogBuffer,
  showEarlier,
  splitLogLine,
  visibleLines,
} from './log-buffer.js';

const POLL_MS = 500;
const RETRY_MS = 2000;

/**
 * One stage's log, read by byte offset. While the stage runs it follows: a read every 500 ms, or
 * sooner on a `run.stage.updated` event of the run. Once the stage has ended it reads on until a
 * read past the end comes back empty, so the last lines written before the status changed are
 * never missed. Secrets arrive masked by the server; lines are rendered as text, never as HTML.
 */
export function StageLog(props: {
  readonly runId: string;
  readonly stage: string;
  readonly running: boolean;
}) {
  const { runId, stage, running } = props;
  const [buffer, setBuffer] = useState<LogBuffer>(emptyLog);
  const [error, setError] = useState<unknown>(undefined);
  const [following, setFollowing] = useState(false);
  const runningRef = useRef(running);
  runningRef.current = running;
  const kickRef = useRef<() => void>(() => {});
  // Whether the log view sits at its end (it follows new lines), or the reader scrolled up.
  const stuck = useRef(true);
  const { subscribe, epoch } = useLive();

  useEffect(() => {
    const controller = new AbortController();
    let offset = 0;
    let active = false;
    let wake: (() => void) | undefined;
    setBuffer(emptyLog());
    setError(undefined);
    stuck.current = true;

    const pause = (ms: number) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });

    const follow = async () => {
      active = true;
      setFollowing(true);
      try {
        while (!controller.signal.aborted) {
          const endedBefore = !runningRef.current;
          let page: LogPage;
          try {
            page = await api<LogPage>(
              `/v1/runs/${encodeURIComponent(runId)}/stages/${encodeURIComponent(stage)}/log${query({ offset })}`,
              { signal: controller.signal },
            );
          } catch (e) {
            if (controller.signal.aborted) return;
            setError(e);
            if (!runningRef.current) return;
            await pause(RETRY_MS);
            continue;
          }
          setError(undefined);
          offset = page.offset;
          // A reader who scrolled up keeps their lines: the window grows instead of sliding on.
          setBuffer((b) => {
            const next = appendPage(b, page);
            return stuck.current ? next : { ...next, shown: next.shown + page.lines.length };
          });
          if (page.lines.length > 0) continue;
          if (endedBefore) return;
          await pause(POLL_MS);
        }
      } finally {
        active = false;
        if (!controller.signal.aborted) setFollowing(false);
      }
    };

    kickRef.current = () => {
      if (active) wake?.();
      else void follow();
    };
    void follow();
    return () => {
      controller.abort();
      wake?.();
    };
  }, [runId, stage]);

  // A stage that starts running, an event about the run, or a reconnection: read again now.
  useEffect(() => {
    if (running) kickRef.current();
  }, [running]);
  useEffect(() => {
    if (epoch > 0) kickRef.current();
  }, [epoch]);
  useEffect(
    () =>
      subscribe((event) => {
        if (event.type === 'run.stage.updated' && event.subject === runId) kickRef.current();
      }),
    [subscribe, runId],
  );

  return (
    <div class="stage-log-panel">
      {error !== undefined && <ErrorBox error={error} title="Could not read this stage's log" />}
      <LogLines
        buffer={buffer}
        onEarlier={() => setBuffer((b) => showEarlier(b))}
        stage={stage}
        stuck={stuck}
        empty={following || running ? 'No output yet.' : 'This stage wrote no output.'}
      />
      <p class="muted log-state" aria-live="polite">
        {following && running
          ? 'Following the log as the stage runs…'
          : `${plural(buffer.dropped + buffer.lines.length, 'line')} read.`}
      </p>
    </div>
  );
}

function LogLines(props: {
  readonly buffer: LogBuffer;
  readonly stage: string;
  readonly empty: string;
  readonly stuck: { current: boolean };
  readonly onEarlier: () => void;
}) {
  const { buffer } = props;
  const box = useRef<HTMLDivElement>(null);
  // Follow the end unless the reader scrolled up; keep their place when earlier lines are added.
  const { stuck } = props;
  const heightBefore = useRef<number | undefined>(undefined);
  const view = visibleLines(buffer);

  useLayoutEffect(() => {
    const el = box.current;
    if (el === null) return;
    if (heightBefore.current !== undefined) {
      el.scrollTop += el.scrollHeight - heightBefore.current;
      heightBefore.current = undefined;
    } else if (stuck.current) el.scrollTop = el.scrollHeight;
  });

  const earlier = () => {
    heightBefore.current = box.current?.scrollHeight;
    props.onEarlier();
  };

  return (
    <>
      {buffer.dropped > 0 && view.hidden === 0 && (
        <p class="hint">
          The first {plural(buffer.dropped, 'line')} are not kept in this page; read the whole log with{' '}
          <code>flowline logs</code>.
        </p>
      )}
      {view.hidden > 0 && (
        <button type="button" class="link" onClick={earlier}>
          Show {Math.min(view.hidden, 1000).toLocaleString()} earlier lines ({view.hidden.toLocaleString()}{' '}
          hidden)
        </button>
      )}
      <div
        ref={box}
        class="log stage-log"
        data-testid="stage-log"
        role="log"
        aria-live="off"
        aria-label={`Log of stage ${props.stage}`}
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must be reachable by keyboard
        tabIndex={0}
        onScroll={(e) => {
          const el = e.currentTarget;
          stuck.current = el.scrollHeight - el.scrollTop - el.clientHeight < 8;
        }}
      >
        {buffer.lines.length === 0 ? (
          <span class="muted-dark">{props.empty}</span>
        ) : (
          view.lines.map((line, i) => (
            <LogLine key={view.firstNumber + i} number={view.firstNumber + i} line={line} />
          ))
        )}
      </div>
    </>
  );
}

function LogLine(props: { readonly number: number; readonly line: string }) {
  const { time, text } = splitLogLine(props.line);
  return (
    <div class="log-line">
      <span class="log-number" aria-hidden="true">
        {props.number}
      </span>
      {time !== null && <span class="log-time">{time} </span>}
      <span class="log-text">
        {parseAnsi(text).map((segment, i) => (
          <span
            key={i}
            class={`${segment.fg === undefined ? '' : `ansi-${segment.fg}`}${segment.bold ? ' ansi-bold' : ''}`}
          >
            {segment.text}
          </span>
        ))}
      </span>
    </div>
  );
}
