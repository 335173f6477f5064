// Opens a bound connection to a directory one step at a time (DNS, TCP, TLS, bind), so that a failure says which
// step failed and why, in words an admin can act on. The connection test uses it, and so will the sync.
import { lookup } from 'node:dns/promises';
import { isIP, connect as tcpConnect } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { Client } from 'ldapts';
import type { DirectoryTestStep } from '../../../shared/directory-schemas.js';

/** Where the directory is and how Roster proves who it is. */
export interface DirectoryEndpoint {
  url: string;
  startTls: boolean;
  caCertificate: string | null;
  bindDn: string;
  bindPassword: string;
}

/** A step of talking to a directory failed: which one, a stable reason, the setting it is about, and why. */
export class DirectoryStepError extends Error {
  constructor(
    readonly step: DirectoryTestStep,
    readonly reason: string,
    message: string,
    readonly field: string | null = null,
  ) {
    super(message);
  }
}

// LDAP result codes (RFC 4511 4.1.9) the steps tell apart.
export const RESULT = {
  sizeLimitExceeded: 4,
  strongerAuthRequired: 8,
  noSuchObject: 32,
  invalidDnSyntax: 34,
  inappropriateAuthentication: 48,
  invalidCredentials: 49,
  insufficientAccessRights: 50,
  filterError: 87,
} as const;

/** The LDAP result code of an error from the client, if it is one (ldapts's error classes do not survive instanceof). */
export const resultCode = (error: unknown): number | null =>
  typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'number'
    ? (error as { code: number }).code
    : null;

const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;

/** Rejects with `onTimeout()` if the promise has not settled within `ms`. */
export async function within<T>(ms: number, promise: Promise<T>, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(onTimeout()), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export function parseDirectoryUrl(url: string) {
  const parsed = new URL(url);
  const secure = parsed.protocol === 'ldaps:';
  // URL keeps the brackets of an IPv6 literal; name lookups and TLS want the bare address.
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  return { secure, host, port: parsed.port ? Number(parsed.port) : secure ? 636 : 389 };
}

async function resolveHost(host: string, timeoutMs: number): Promise<string> {
  if (isIP(host)) return host;
  try {
    const found = await within(
      timeoutMs,
      lookup(host),
      () =>
        new DirectoryStepError('dns', 'DnsTimeout', `Looking up ${host} took longer than ${seconds(timeoutMs)}`, 'url'),
    );
    return found.address;
  } catch (error) {
    if (error instanceof DirectoryStepError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTFOUND' || code === 'EAI_NONAME' || code === 'EAI_NODATA')
      throw new DirectoryStepError('dns', 'HostNotFound', `No host is called ${host} (DNS knows no such name)`, 'url');
    throw new DirectoryStepError(
      'dns',
      'DnsFailed',
      `${host} could not be looked up (${code ?? 'DNS error'}): the name server did not answer`,
      'url',
    );
  }
}

function tcpProblem(error: unknown, where: string, timeoutMs: number): DirectoryStepError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ECONNREFUSED')
    return new DirectoryStepError(
      'tcp',
      'ConnectionRefused',
      `Nothing listens on ${where} (connection refused)`,
      'url',
    );
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH')
    return new DirectoryStepError(
      'tcp',
      'HostUnreachable',
      `${where} cannot be reached from this server (${code})`,
      'url',
    );
  if (code === 'ETIMEDOUT' || code === 'ConnectTimeout' || /timeout/i.test(String((error as Error).message)))
    return new DirectoryStepError(
      'tcp',
      'ConnectTimeout',
      `${where} did not answer within ${seconds(timeoutMs)} (a firewall, or no such machine)`,
      'url',
    );
  return new DirectoryStepError(
    'tcp',
    'ConnectionFailed',
    `Could not connect to ${where} (${code ?? (error as Error).message})`,
    'url',
  );
}

/** Opens and closes a plain TCP connection: whether anything listens, before TLS and LDAP come into it. */
async function reach(address: string, port: number, where: string, timeoutMs: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const socket = tcpConnect({ host: address, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(Object.assign(new Error('timeout'), { code: 'ConnectTimeout' }));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.end();
      socket.destroy();
      resolve();
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    });
  }).catch((error) => {
    throw tcpProblem(error, where, timeoutMs);
  });
}

const NOT_TRUSTED = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
]);

function tlsProblem(error: unknown, host: string, timeoutMs: number, startTls: boolean): DirectoryStepError {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  const message = String((error as Error).message ?? '');
  if (NOT_TRUSTED.has(code))
    return new DirectoryStepError(
      'tls',
      'CertificateNotTrusted',
      `The directory's certificate is not trusted (${code === 'DEPTH_ZERO_SELF_SIGNED_CERT' ? 'self-signed' : 'issued by an unknown authority'}): add the CA certificate that issued it`,
      'caCertificate',
    );
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID')
    return new DirectoryStepError(
      'tls',
      'HostnameMismatch',
      `The directory's certificate is not issued for ${host}: use the host name the certificate names`,
      'url',
    );
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID')
    return new DirectoryStepError(
      'tls',
      'CertificateExpired',
      `The directory's certificate ${code === 'CERT_HAS_EXPIRED' ? 'has expired' : 'is not valid yet'}`,
      'url',
    );
  if (/timeout|timed out/i.test(message))
    return new DirectoryStepError(
      'tls',
      'TlsTimeout',
      `The TLS handshake did not finish within ${seconds(timeoutMs)}${startTls ? '' : ' (is this an ldaps:// port?)'}`,
      'url',
    );
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ECONNRESET' || /closed|socket hang up/i.test(message))
    return new DirectoryStepError(
      'tls',
      'TlsFailed',
      startTls
        ? 'The connection ended during the StartTLS handshake'
        : 'The server did not answer in TLS: is this an ldaps:// port? (ldap:// with StartTLS uses port 389)',
      'url',
    );
  const result = resultCode(error);
  if (startTls && result !== null)
    return new DirectoryStepError(
      'tls',
      'StartTlsRefused',
      `The directory refused StartTLS (result code ${result}): use ldaps://, or turn StartTLS off`,
      'startTls',
    );
  return new DirectoryStepError('tls', 'TlsFailed', `The TLS handshake failed (${code || message})`, 'url');
}

/**
 * Active Directory checks the password first, and only then refuses a bind whose password must be changed (pwdLastSet
 * 0: "data 773") or has expired ("data 532"), saying so in the diagnostic message (Microsoft's LDAP error reference).
 */
export const MUST_CHANGE_PASSWORD = /\bdata (773|532)\b/;

function bindProblem(error: unknown, timeoutMs: number): DirectoryStepError {
  const code = resultCode(error);
  if (code === RESULT.invalidCredentials && error instanceof Error && MUST_CHANGE_PASSWORD.test(error.message))
    return new DirectoryStepError(
      'bind',
      'PasswordMustChange',
      'The directory accepts the password but requires it to be changed first (expired, or must change at next sign-in)',
      'bindPassword',
    );
  if (code === RESULT.invalidCredentials)
    return new DirectoryStepError(
      'bind',
      'InvalidCredentials',
      'The directory refused the bind DN or password (invalid credentials)',
      'bindPassword',
    );
  if (code === RESULT.invalidDnSyntax)
    return new DirectoryStepError('bind', 'InvalidBindDn', 'The directory cannot read the bind DN', 'bindDn');
  if (code === RESULT.strongerAuthRequired || code === RESULT.inappropriateAuthentication)
    return new DirectoryStepError(
      'bind',
      'SecureBindRequired',
      'The directory accepts this bind over a secure connection only: use StartTLS or ldaps://',
      'startTls',
    );
  if (code !== null)
    return new DirectoryStepError(
      'bind',
      'BindRefused',
      `The directory refused the bind (result code ${code})`,
      'bindDn',
    );
  if (/timed out|timeout/i.test(String((error as Error).message)))
    return new DirectoryStepError('bind', 'BindTimeout', `The bind got no answer within ${seconds(timeoutMs)}`, 'url');
  return new DirectoryStepError('bind', 'ConnectionLost', 'The directory closed the connection during the bind', 'url');
}

/** Ends the connection without waiting on a directory that may no longer answer. */
export function release(client: Client | null) {
  if (client?.isConnected) client.unbind().catch(() => {});
}

/**
 * A connection bound as the endpoint's bind DN, or a DirectoryStepError naming the step that failed. Every step
 * waits at most `timeoutMs`. The caller releases the client.
 */
export async function openDirectory(endpoint: DirectoryEndpoint, timeoutMs: number): Promise<Client> {
  const { secure, host, port } = parseDirectoryUrl(endpoint.url);
  const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const address = await resolveHost(host, timeoutMs);
  await reach(address, port, where, timeoutMs);

  const tlsOptions: ConnectionOptions = {
    minVersion: 'TLSv1.2',
    ...(endpoint.caCertificate ? { ca: endpoint.caCertificate } : {}),
    // Server name indication takes host names only; the certificate is checked against the host either way.
    ...(isIP(host) ? {} : { servername: host }),
  };
  const client = new Client({
    url: endpoint.url,
    timeout: timeoutMs,
    connectTimeout: timeoutMs,
    // Given to the constructor, TLS options make ldapts speak TLS from the first byte: for ldaps:// only.
    ...(secure ? { tlsOptions } : {}),
  });
  try {
    if (endpoint.startTls && !secure) {
      await within(timeoutMs * 2, client.startTLS({ ...tlsOptions, host }), () => new Error('timeout')).catch(
        (error) => {
          throw tlsProblem(error, host, timeoutMs, true);
        },
      );
    }
    // On ldaps:// the bind opens the connection: the handshake's failures are the socket's (a string code, or
    // ldapts's "Connection timeout"), the bind's are LDAP result codes or a connection lost after the handshake.
    await within(timeoutMs * 2, client.bind(endpoint.bindDn, endpoint.bindPassword), () => new Error('timeout')).catch(
      (error) => {
        const socketError =
          typeof (error as { code?: unknown }).code === 'string' || (error as Error).message === 'Connection timeout';
        throw secure && socketError ? tlsProblem(error, host, timeoutMs, false) : bindProblem(error, timeoutMs);
      },
    );
    return client;
  } catch (error) {
    release(client);
    throw error;
  }
}
