import type { Flowline } from '../../app/flowline.js';
import {
  type CommitPage,
  type HistoryFile,
  type ImportProgress,
  type ImportResult,
  parseDeployments,
  parseIncidents,
} from '../../history/index.js';
import { type HttpTarget, request } from './http.js';

/** History imports on the local store or a server (the `/v1/history` routes). */
export interface HistoryClient {
  deployments(file: HistoryFile, progress?: ImportProgress): Promise<ImportResult>;
  incidents(file: HistoryFile, progress?: ImportProgress): Promise<ImportResult>;
  commits(page: CommitPage, progress?: ImportProgress): Promise<ImportResult>;
}

/** Embedded: parsed and imported in this process, as the OS user (admin of their own store). */
export function historyLocal(app: () => Promise<Flowline>): HistoryClient {
  const by = async () => {
    const { localActor, where } = await app();
    return { actor: localActor, where };
  };
  return {
    deployments: async (file, progress) =>
      (await app()).history.deployments(parseDeployments(file), await by(), progress),
    incidents: async (file) => (await app()).history.incidents(parseIncidents(file), await by()),
    commits: async (page, progress) => (await app()).history.commits(page, await by(), progress),
  };
}

/** A whole file is imported in one request: 100,000 rows take seconds, more on a busy server. */
const IMPORT_TIMEOUT_MS = 10 * 60_000;

/** Remote: the file travels as text and the server parses it, so errors name the same lines. */
export function historyCalls(target: HttpTarget): HistoryClient {
  const send = async (kind: 'deployments' | 'incidents', file: HistoryFile) =>
    (
      await request<{ result: ImportResult }>(
        target,
        'POST',
        `/v1/history/${kind}`,
        {
          file: file.name,
          content: file.text,
          ...(file.format === undefined ? {} : { format: file.format }),
          ...(file.service === undefined ? {} : { service: file.service }),
        },
        undefined,
        IMPORT_TIMEOUT_MS,
      )
    ).result;
  return {
    deployments: (file) => send('deployments', file),
    incidents: (file) => send('incidents', file),
    commits: async (page) =>
      (
        await request<{ result: ImportResult }>(
          target,
          'POST',
          '/v1/history/commits',
          page,
          undefined,
          IMPORT_TIMEOUT_MS,
        )
      ).result,
  };
}
