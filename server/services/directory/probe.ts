// "Test connection": checks a directory's settings step by step (filters, DNS, TCP, TLS, bind, base DNs) and, when
// every step passes, counts the users and groups the filters see, a page of 500 at a time (RFC 2696) so that
// directories of any size answer.
import { FilterParser } from 'ldapts';
import type { DirectoryTestResult } from '../../../shared/responses/directory.js';
import { type DirectoryEndpoint, DirectoryStepError, openDirectory, RESULT, release, resultCode } from './client.js';

export interface DirectorySettings extends DirectoryEndpoint {
  usersBaseDn: string;
  usersFilter: string;
  groupsBaseDn: string;
  groupsFilter: string;
}

/** Entries per page of a paged search: under Active Directory's MaxPageSize (1,000) and OpenLDAP's usual limit. */
export const PAGE_SIZE = 500;

/** Throws a filter step error unless the filter parses (RFC 4515), before anything is sent. */
export function checkFilter(filter: string, field: 'usersFilter' | 'groupsFilter') {
  try {
    // The parser closes a filter left open ("(&(a=1)(b=2)"); RFC 4515 escapes parentheses in values (\28, \29),
    // so every literal one is structure and they must pair up.
    if (filter.split('(').length !== filter.split(')').length) throw new Error('Unbalanced parentheses');
    FilterParser.parseString(filter);
  } catch (error) {
    throw new DirectoryStepError(
      'filter',
      'FilterSyntax',
      `The ${field === 'usersFilter' ? 'users' : 'groups'} filter is not a valid LDAP filter: ${(error as Error).message}`,
      field,
    );
  }
}

function searchProblem(
  error: unknown,
  base: string,
  field: 'usersBaseDn' | 'groupsBaseDn',
  filterField: 'usersFilter' | 'groupsFilter',
  timeoutMs: number,
): unknown {
  if (error instanceof DirectoryStepError) return error;
  const code = resultCode(error);
  if (code === RESULT.noSuchObject)
    return new DirectoryStepError('baseDn', 'NoSuchBaseDn', `The directory has no entry ${base}`, field);
  if (code === RESULT.invalidDnSyntax)
    return new DirectoryStepError('baseDn', 'InvalidBaseDn', `The directory cannot read the DN ${base}`, field);
  if (code === RESULT.filterError)
    return new DirectoryStepError('filter', 'FilterRefused', 'The directory refused the filter', filterField);
  if (code === RESULT.sizeLimitExceeded)
    return new DirectoryStepError(
      'search',
      'SizeLimitExceeded',
      `The directory stopped the search under ${base} at its size limit, even with paged results`,
      field,
    );
  if (code === RESULT.insufficientAccessRights)
    return new DirectoryStepError('search', 'AccessDenied', `The bind DN may not search under ${base}`, 'bindDn');
  if (code !== null)
    return new DirectoryStepError(
      'search',
      'SearchFailed',
      `The search under ${base} failed (result code ${code})`,
      field,
    );
  if (/timed out|timeout/i.test(String((error as Error).message)))
    return new DirectoryStepError(
      'search',
      'SearchTimeout',
      `The directory did not answer the search under ${base} within ${timeoutMs / 1000} s`,
      field,
    );
  return new DirectoryStepError(
    'search',
    'ConnectionLost',
    `The connection ended during the search under ${base}`,
    field,
  );
}

type Bound = Awaited<ReturnType<typeof openDirectory>>;

/** Whether the base DN exists (a search of the entry itself, no attributes). */
async function checkBase(client: Bound, base: string, field: 'usersBaseDn' | 'groupsBaseDn', timeoutMs: number) {
  try {
    await client.search(base, { scope: 'base', filter: '(objectClass=*)', attributes: ['1.1'] });
  } catch (error) {
    throw searchProblem(error, base, field, field === 'usersBaseDn' ? 'usersFilter' : 'groupsFilter', timeoutMs);
  }
}

/** How many entries under the base match the filter, read a page at a time (attribute values are not asked for). */
export async function countEntries(
  client: Bound,
  base: string,
  filter: string,
  fields: { base: 'usersBaseDn' | 'groupsBaseDn'; filter: 'usersFilter' | 'groupsFilter' },
  timeoutMs: number,
): Promise<number> {
  let count = 0;
  try {
    for await (const page of client.searchPaginated(base, {
      scope: 'sub',
      filter,
      attributes: ['1.1'],
      paged: { pageSize: PAGE_SIZE },
    })) {
      count += page.searchEntries.length;
    }
  } catch (error) {
    throw searchProblem(error, base, fields.base, fields.filter, timeoutMs);
  }
  return count;
}

/** Tests the settings; a failure is an answer (which step, why), never an exception. */
export async function probeDirectory(settings: DirectorySettings, timeoutMs: number): Promise<DirectoryTestResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  let client: Bound | null = null;
  try {
    checkFilter(settings.usersFilter, 'usersFilter');
    checkFilter(settings.groupsFilter, 'groupsFilter');
    client = await openDirectory(settings, timeoutMs);
    const bound = client;
    await checkBase(bound, settings.usersBaseDn, 'usersBaseDn', timeoutMs);
    await checkBase(bound, settings.groupsBaseDn, 'groupsBaseDn', timeoutMs);
    // A page may take up to the timeout; a whole count is bounded only by the size of the directory.
    const users = await countEntries(
      bound,
      settings.usersBaseDn,
      settings.usersFilter,
      { base: 'usersBaseDn', filter: 'usersFilter' },
      timeoutMs,
    );
    const groups = await countEntries(
      bound,
      settings.groupsBaseDn,
      settings.groupsFilter,
      { base: 'groupsBaseDn', filter: 'groupsFilter' },
      timeoutMs,
    );
    return {
      ok: true,
      failedStep: null,
      reason: null,
      field: null,
      message: `Connected and bound: the filters see ${users} ${users === 1 ? 'user' : 'users'} and ${groups} ${groups === 1 ? 'group' : 'groups'}`,
      users,
      groups,
      elapsedMs: elapsed(),
    };
  } catch (error) {
    if (!(error instanceof DirectoryStepError)) throw error;
    return {
      ok: false,
      failedStep: error.step,
      reason: error.reason,
      field: error.field,
      message: error.message,
      users: null,
      groups: null,
      elapsedMs: elapsed(),
    };
  } finally {
    release(client);
  }
}
