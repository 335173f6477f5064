// The thread of prepare-thread.ts. Threads do not share the main thread's module loader, so this one registers
// tsx's, as bin/roster.js does, before it loads the TypeScript.
import { register } from 'tsx/esm/api';

register();
await import('./prepare-worker-main.ts');
