// A large upload is staged in a worker thread (parsing the file and writing the staging file) while this thread checks
// the rows already staged: the preview takes about as long as the longer of the two instead of both.
import type { ImportFormat, TextEncoding } from '../../../shared/import-schemas.js';
import { AppError } from '../../errors.js';
import type { SheetRow } from './sheet.js';
import { readStaged, type StagedFile, stageFile } from './stage.js';
import { threadMessages } from './thread.js';

/** Why staging failed: an AppError (a bad file) as its parts, or any other error's message. */
export type StageFailure =
  | { status: AppError['status']; code: string; message: string; fields: AppError['fields'] }
  | { message: string };

/** What the thread sends: staged rows, the end, or why it stopped. */
export type StageMessage = { rows: SheetRow[] } | { staged: StagedFile } | { failed: StageFailure };

/** Stages `source` into `target` in a thread; yields the staged rows in batches and returns what stageFile does. */
export async function* stagedInThread(
  source: string,
  format: ImportFormat,
  target: string,
  encoding?: TextEncoding,
): AsyncGenerator<SheetRow[], StagedFile> {
  const messages = threadMessages<StageMessage>(
    './stage-worker.ts',
    { source, format, target, encoding },
    (message) => !('rows' in message),
  );
  for await (const message of messages) {
    if ('rows' in message) yield message.rows;
    else if ('staged' in message) return message.staged;
    else {
      const failure = message.failed;
      throw 'code' in failure
        ? new AppError(failure.status, failure.code, failure.message, failure.fields)
        : new Error(failure.message);
    }
  }
  throw new Error('the staging thread stopped');
}

/** Files from this size are staged in a thread; a smaller one is staged here (a thread takes about 0.2 s to start). */
export const STAGE_IN_THREAD_BYTES = 1024 * 1024;

/** Stages `source` on this thread, then yields its rows read back from `target`. */
async function* stagedHere(
  source: string,
  format: ImportFormat,
  target: string,
  encoding?: TextEncoding,
): AsyncGenerator<SheetRow[], StagedFile> {
  const staged = await stageFile(source, format, target, undefined, encoding);
  yield* readStaged(target);
  return staged;
}

/** The staged rows of an upload of `bytes` bytes, in batches, then what stageFile returns (see stagedInThread). */
export function stagedRows(
  source: string,
  format: ImportFormat,
  target: string,
  bytes: number,
  encoding?: TextEncoding,
): AsyncGenerator<SheetRow[], StagedFile> {
  return bytes >= STAGE_IN_THREAD_BYTES
    ? stagedInThread(source, format, target, encoding)
    : stagedHere(source, format, target, encoding);
}
