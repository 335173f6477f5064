// Response schemas of the audit log.
import { z } from 'zod';

export const AuditEventSchema = z
  .object({
    id: z.number().int(),
    at: z.string(),
    action: z.string().meta({ example: 'user.updated' }),
    actor: z.object({ id: z.number().int(), username: z.string().nullable() }).nullable(),
    target: z
      .object({ type: z.string(), id: z.string(), label: z.string().nullable() })
      .nullable()
      .describe('What the event is about; `id` is text, whatever the kind of target'),
    before: z
      .record(z.string(), z.unknown())
      .nullable()
      .describe('What changed, as it was before (null when nothing was there before)'),
    after: z.record(z.string(), z.unknown()).nullable().describe('What changed, as it is after'),
    ip: z.string().nullable(),
  })
  .meta({ id: 'AuditEvent' });
export type AuditEvent = z.output<typeof AuditEventSchema>;

export const AuditPageSchema = z
  .object({ items: z.array(AuditEventSchema), nextCursor: z.string().nullable() })
  .meta({ id: 'AuditPage' });
export type AuditPage = z.output<typeof AuditPageSchema>;
