// A serving process of `roster serve` with ROSTER_WORKERS > 1, loaded through tsx like the command line.
import { register } from 'tsx/esm/api';

register();
await import('../server/worker.ts');
