// The load generators' HTTP client: node:http over keep-alive connections. Node's fetch spends about 1-2 ms of CPU
// on each request, which on a two-core machine is taken from the server being measured; this client spends a
// fraction of that, as a remote identity provider or application would cost the server's machine nothing.
import { Agent, request } from 'node:http';

export interface Reply {
  status: number;
  body: string;
  /** Milliseconds from sending the request to the last byte of the answer. */
  ms: number;
}

/** A client of the server at `base` that sends `headers` with every request, over at most `sockets` connections. */
export function httpClient(base: string, headers: Record<string, string>, sockets = 16) {
  const agent = new Agent({ keepAlive: true, maxSockets: sockets });
  const send = (method: string, path: string, body?: string) =>
    new Promise<Reply>((resolve, reject) => {
      const started = performance.now();
      const req = request(
        `${base}${path}`,
        {
          method,
          agent,
          headers: body === undefined ? headers : { ...headers, 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            text += chunk;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, ms: performance.now() - started }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  return { send, close: () => agent.destroy() };
}
