// A real OpenLDAP server for tests: Debian's slapd on free ports of 127.0.0.1 (ldap:// with StartTLS, and ldaps://)
// with a self-signed certificate made at start, a configuration and a data directory of its own under /tmp (removed
// on stop), loaded with LDIF, and helpers that change the directory between syncs.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Attribute, Change, Client } from 'ldapts';
import { SUFFIX } from './ldif.js';

const run = promisify(execFile);

export const ROOT_DN = `cn=admin,${SUFFIX}`;
export const ROOT_PASSWORD = 'Root-pass-2026!';
/** Entries a search returns at most, paged or not, per page; paged searches may go on past it (as on AD). */
export const SIZE_LIMIT = 500;

export interface TestSlapd {
  /** ldap://127.0.0.1:port (StartTLS offered). */
  url: string;
  /** ldaps://127.0.0.1:port, certificate issued for 127.0.0.1 only. */
  tlsUrl: string;
  port: number;
  tlsPort: number;
  /** The self-signed certificate slapd presents (its own CA), PEM. */
  certificate: string;
  /** A client bound as the root DN (no limits, no access rules), for changing the directory between syncs. */
  admin(): Promise<Client>;
  add(dn: string, attributes: Record<string, string | string[]>): Promise<void>;
  /** Replaces the attributes' values (an empty list removes the attribute). */
  modify(dn: string, replace: Record<string, string | string[]>): Promise<void>;
  remove(dn: string): Promise<void>;
  /** Applies LDIF change records (RFC 2849: changetype add, modify, delete) with OpenLDAP's ldapmodify, as the root DN. */
  ldapmodify(changes: string): Promise<void>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function listening(port: number, deadline: number, exited: () => string | null): Promise<void> {
  while (Date.now() < deadline) {
    const gone = exited();
    if (gone) throw new Error(`slapd stopped: ${gone}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`slapd did not listen on ${port} in time`);
}

export interface SlapdOptions {
  /** The database's largest size in bytes (256 MiB by default). */
  maxSize?: number;
  /** Attributes indexed besides objectClass, uid, entryUUID and member, each an `index` line's rest ("modifyTimestamp eq"). */
  indexes?: string[];
}

function config(dir: string, options: SlapdOptions): string {
  return `# Written by test/support/slapd.ts
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/nis.schema
include /etc/ldap/schema/inetorgperson.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile ${dir}/slapd.pid
argsfile ${dir}/slapd.args
TLSCertificateFile ${dir}/cert.pem
TLSCertificateKeyFile ${dir}/key.pem

database mdb
maxsize ${options.maxSize ?? 268435456}
suffix "${SUFFIX}"
rootdn "${ROOT_DN}"
rootpw ${ROOT_PASSWORD}
directory ${dir}/data
index objectClass eq
index uid eq
index entryUUID eq
index member eq
${(options.indexes ?? []).map((index) => `index ${index}\n`).join('')}# As a directory's service account meets it: ${SIZE_LIMIT} entries a search, more only page by page (RFC 2696).
limits users size.soft=${SIZE_LIMIT} size.hard=${SIZE_LIMIT} size.prtotal=unlimited
access to attrs=userPassword
  by self write
  by anonymous auth
  by * none
access to *
  by users read
  by * none
`;
}

/** Starts slapd with the LDIF loaded (slapadd, before it listens). */
export async function startSlapd(ldif: string, options: SlapdOptions = {}): Promise<TestSlapd> {
  const dir = mkdtempSync('/tmp/roster-slapd-');
  let child: ChildProcess | null = null;
  try {
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
      '-days',
      '2',
      '-subj',
      '/CN=Roster test directory',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ]);
    writeFileSync(join(dir, 'slapd.conf'), config(dir, options));
    writeFileSync(join(dir, 'data.ldif'), ldif);
    mkdirSync(join(dir, 'data'));
    await run('slapadd', ['-q', '-f', join(dir, 'slapd.conf'), '-l', join(dir, 'data.ldif')], {
      maxBuffer: 16 * 1024 * 1024,
    });
    const [port, tlsPort] = [await freePort(), await freePort()];
    const url = `ldap://127.0.0.1:${port}`;
    const tlsUrl = `ldaps://127.0.0.1:${tlsPort}`;
    // -d keeps slapd in the foreground, so it is this process's child and ends with it.
    const started = spawn(
      '/usr/sbin/slapd',
      ['-f', join(dir, 'slapd.conf'), '-h', `${url}/ ${tlsUrl}/`, '-u', 'root', '-g', 'root', '-d', '0'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child = started;
    let stderr = '';
    let exit: string | null = null;
    started.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    started.once('exit', (code, signal) => {
      exit = `exit ${code ?? signal}: ${stderr.slice(-2000)}`;
    });
    await listening(port, Date.now() + 15_000, () => exit);
    await listening(tlsPort, Date.now() + 5_000, () => exit);

    const admin = async () => {
      const client = new Client({ url, timeout: 10_000, connectTimeout: 5_000 });
      await client.bind(ROOT_DN, ROOT_PASSWORD);
      return client;
    };
    const withAdmin = async (work: (client: Client) => Promise<void>) => {
      const client = await admin();
      try {
        await work(client);
      } finally {
        await client.unbind();
      }
    };
    return {
      url,
      tlsUrl,
      port,
      tlsPort,
      certificate: readFileSync(join(dir, 'cert.pem'), 'utf8'),
      admin,
      add: (dn, attributes) => withAdmin((c) => c.add(dn, attributes)),
      modify: (dn, replace) =>
        withAdmin((c) =>
          c.modify(
            dn,
            Object.entries(replace).map(
              ([type, values]) =>
                new Change({
                  operation: 'replace',
                  modification: new Attribute({ type, values: Array.isArray(values) ? values : [values] }),
                }),
            ),
          ),
        ),
      remove: (dn) => withAdmin((c) => c.del(dn)),
      async ldapmodify(changes) {
        const file = join(dir, `changes-${Date.now()}.ldif`);
        writeFileSync(file, changes);
        try {
          await run('ldapmodify', ['-x', '-H', url, '-D', ROOT_DN, '-w', ROOT_PASSWORD, '-f', file], {
            maxBuffer: 64 * 1024 * 1024,
          });
        } finally {
          rmSync(file, { force: true });
        }
      },
      async stop() {
        if (exit === null) {
          const ended = new Promise((resolve) => started.once('exit', resolve));
          started.kill('SIGTERM');
          await Promise.race([ended, new Promise((r) => setTimeout(r, 5_000))]);
          if (exit === null) started.kill('SIGKILL');
        }
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    child?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
