// A benchmark's other processes: the same script forked with BENCH_ROLE set (a Roster server, a mail or webhook
// receiver), so the load generator never shares an event loop with what it measures.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Forks `script` (an import.meta.url) in `role`; `ready` is the port the child reports once it listens. `nodeArgs`
 * go to the child's Node.js (`--cpu-prof` to see where its time goes).
 */
export function childProcess(script: string, role: string, env: Record<string, string> = {}, nodeArgs: string[] = []) {
  const proc = fork(fileURLToPath(script), [], {
    env: { ...process.env, BENCH_ROLE: role, ...env },
    execArgv: ['--import', 'tsx', ...nodeArgs],
  });
  const ready = new Promise<number>((resolve, reject) => {
    proc.once('message', (m) => resolve((m as { port: number }).port));
    proc.once('exit', (code) => reject(new Error(`${role} exited with ${code}`)));
  });
  return {
    proc,
    ready,
    ask: <T>(message: string) =>
      new Promise<T>((resolve) => {
        proc.once('message', (m) => resolve(m as T));
        proc.send(message);
      }),
    stop: () =>
      new Promise<void>((resolve) => {
        proc.once('exit', () => resolve());
        proc.send('stop');
      }),
  };
}
