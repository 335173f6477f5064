// Stages an upload in a thread (see stage-thread.ts), handing the rows over a few batches ahead of the ones checked.
import type { ImportFormat, TextEncoding } from '../../../shared/import-schemas.js';
import { AppError } from '../../errors.js';
import { stageFile } from './stage.js';
import type { StageMessage } from './stage-thread.js';
import { threadOutbox } from './thread.js';

const outbox = threadOutbox<
  { source: string; format: ImportFormat; target: string; encoding?: TextEncoding },
  StageMessage
>();
const { source, format, target, encoding } = outbox.data;
try {
  const staged = await stageFile(source, format, target, (rows) => outbox.send({ rows }), encoding);
  outbox.end({ staged });
} catch (error) {
  outbox.end({
    failed:
      error instanceof AppError
        ? { status: error.status, code: error.code, message: error.message, fields: error.fields }
        : { message: (error as Error).message },
  });
}
