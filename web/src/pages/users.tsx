// The user directory (F1-F4, F6): search with highlights, sortable columns, cursor paging, filters and saved filters.

import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useMemo, useRef, useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { APP_KEYS, type AppKey, isAppKey, licenseLabel } from '../../../shared/access.js';
import type { BulkAction } from '../../../shared/bulk-schemas.js';
import {
  ACCESS_TYPE_LABELS,
  ACCESS_TYPES,
  type AccessType,
  AUTH_METHOD_LABELS,
  PAGE_SIZES,
  USER_SORTS,
  USER_STATUS_LABELS,
  USER_STATUSES,
  type UserSort,
  type UserStatus,
} from '../../../shared/constants.js';
import { savedFilterCreateSchema } from '../../../shared/schemas.js';
import {
  API_BASE,
  ApiError,
  api,
  type BulkReport,
  type SavedFilter,
  type SavedFilterBody,
  toSearch,
  type UserFacets,
  type UserListItem,
  type UserPage,
} from '../api.js';
import { BulkActionsMenu, BulkDialog, BulkReportDialog } from '../components/bulk.js';
import { type ColumnOption, ColumnsMenu, useColumnChoice } from '../components/columns-menu.js';
import { DownloadIcon, FilterIcon, PlusIcon, SearchIcon, TrashIcon } from '../components/icons.js';
import { LicenseIcons } from '../components/license-icons.js';
import {
  Avatar,
  Badge,
  Checkbox,
  Dialog,
  formatCount,
  Highlight,
  Notice,
  SelectField,
  Spinner,
  StatusBadge,
  TextField,
  useDropdown,
} from '../components/ui.js';
import { issuesByField } from '../forms.js';
import { GROUP_TREE_KEY, type GroupTree, indexTree } from '../org-api.js';
import { useSession } from '../session.js';

const FILTER_KEYS = ['q', 'accessType', 'status', 'enabled', 'department', 'source', 'groupId', 'license'] as const;
type FilterKey = (typeof FILTER_KEYS)[number];
type Filters = Partial<Record<FilterKey, string>>;
type Order = 'asc' | 'desc';

const DEFAULT_PAGE_SIZE = 25;

type OptionalColumn = 'phone' | 'department' | 'accessType' | 'authMethod' | 'source' | 'status' | 'licenses';
/**
 * The columns an admin may show or hide (Contact always shows: it names the row and opens the user). Authentication
 * and Source start hidden: most accounts use one method and one source, and without them the table fits a 1280 px
 * window.
 */
const OPTIONAL_COLUMNS: readonly ColumnOption<OptionalColumn>[] = [
  { key: 'phone', label: 'Number' },
  { key: 'department', label: 'Department' },
  { key: 'accessType', label: 'Access type' },
  { key: 'authMethod', label: 'Authentication', hidden: true },
  { key: 'source', label: 'Source', hidden: true },
  { key: 'status', label: 'Status' },
  { key: 'licenses', label: 'Licenses' },
];
const OPTIONAL_KEYS = OPTIONAL_COLUMNS.map((column) => column.key);

function readList(params: URLSearchParams) {
  const filters: Filters = {};
  for (const key of FILTER_KEYS) {
    const value = params.get(key);
    if (value) filters[key] = value;
  }
  const sortParam = params.get('sort');
  const sort: UserSort = USER_SORTS.includes(sortParam as UserSort) ? (sortParam as UserSort) : 'name';
  const order: Order = params.get('order') === 'desc' ? 'desc' : 'asc';
  const limitParam = Number(params.get('limit'));
  const limit = (PAGE_SIZES as readonly number[]).includes(limitParam) ? limitParam : DEFAULT_PAGE_SIZE;
  return { filters, sort, order, limit };
}

/** Saved filters store `enabled` as a boolean; the URL and selects hold it as text. */
function toSavedBody(filters: Filters): SavedFilterBody {
  const body: SavedFilterBody = {};
  if (filters.q) body.q = filters.q;
  if (filters.accessType) body.accessType = filters.accessType as SavedFilterBody['accessType'];
  if (filters.status) body.status = filters.status as SavedFilterBody['status'];
  if (filters.enabled) body.enabled = filters.enabled === 'true';
  if (filters.department) body.department = filters.department;
  if (filters.source) body.source = filters.source;
  if (filters.groupId) body.groupId = Number(filters.groupId);
  if (filters.license) body.license = filters.license as AppKey;
  return body;
}

/** Keys of the address that say which page of the list is shown; any other change of the list drops them. */
const PAGING_KEYS = ['page', 'cursor'] as const;

/**
 * The page the address asks for: the first, the last (`page=last`), or page N reached through a keyset cursor
 * (`page=N&cursor=…`), so a reload or a shared link shows the same rows under the same numbers.
 */
type Position = { page: 'last' } | { page: number; cursor?: string };

function readPosition(params: URLSearchParams): Position {
  const page = params.get('page');
  if (page === 'last') return { page: 'last' };
  const n = Number(page);
  const cursor = params.get('cursor') ?? undefined;
  return Number.isInteger(n) && n > 1 && cursor ? { page: n, cursor } : { page: 1 };
}

/** Rows on the last page when pages are aligned from the first row: 31 rows at 10 a page leave 1. */
function lastPageRows(total: number, size: number): number {
  return total <= 0 ? size : total - Math.floor((total - 1) / size) * size;
}

export function UsersPage() {
  const [params, setParams] = useSearchParams();
  const navigate = useNavigate();
  const client = useQueryClient();
  const { filters, sort, order, limit } = readList(params);
  const listKey = JSON.stringify([filters, sort, order, limit]);
  const position = readPosition(params);
  // The last exact total seen for this list: the last page asks for just its rows at once.
  const knownTotal = useRef<{ key: string; total: number } | null>(null);

  const facets = useQuery({ queryKey: ['users', 'facets'], queryFn: () => api<UserFacets>('/users/facets') });
  const [filtersOpen, setFiltersOpen] = useState(() => FILTER_KEYS.some((key) => key !== 'q' && params.get(key)));
  // The teams to filter by, each named by its path ("Sales / Inbound"), in path order.
  const tree = useQuery({
    queryKey: GROUP_TREE_KEY,
    queryFn: () => api<GroupTree>('/groups'),
    enabled: filtersOpen || Boolean(filters.groupId),
  });
  const groupOptions = useMemo(() => {
    const items = tree.data?.items ?? [];
    const index = indexTree(items);
    return items
      .map((group) => ({ value: String(group.id), label: index.path(group) }))
      .sort((a, b) => a.label.localeCompare(b.label));
  }, [tree.data]);
  const groupLabel = (id: string) => groupOptions.find((option) => option.value === id)?.label ?? `group ${id}`;
  const savedFilters = useQuery({
    queryKey: ['saved-filters'],
    queryFn: () => api<{ items: SavedFilter[] }>('/saved-filters'),
  });
  const listQuery = { ...filters, sort, order, limit, ...position };
  const list = useQuery({
    queryKey: ['users', 'list', listQuery],
    queryFn: async ({ signal }) => {
      const base = { ...filters, sort, order };
      // Each page carries the position it answers: while the next one loads, the range shown stays the old page's.
      if (position.page !== 'last') {
        const page = await api<UserPage>('/users', {
          query: { ...base, limit, cursor: position.page > 1 ? position.cursor : undefined },
          signal,
        });
        return { ...page, at: position, size: limit };
      }
      // Pages are aligned from the first row, so the last page holds what is left after the full ones (31 rows at 10
      // a page: row 31 alone), and Previous from it shows 21-30. The server's last page is the last `limit` rows:
      // ask for the remainder, which needs the exact total (a second request only when it was not known).
      const known = knownTotal.current?.key === listKey ? knownTotal.current.total : null;
      const ask = (rows: number) => api<UserPage>('/users', { query: { ...base, limit: rows, last: true }, signal });
      const first = await ask(known === null ? limit : lastPageRows(known, limit));
      const rows = lastPageRows(first.total, limit);
      const page = first.totalExact && rows !== first.items.length && first.items.length > 0 ? await ask(rows) : first;
      return { ...page, at: position, size: limit };
    },
    placeholderData: keepPreviousData,
  });
  useEffect(() => {
    if (list.data?.totalExact && !list.isPlaceholderData) {
      knownTotal.current = { key: listKey, total: list.data.total };
    }
  }, [list.data, list.isPlaceholderData, listKey]);

  // Search as you type: the box is local state, the URL follows 200 ms after the last key.
  const [search, setSearch] = useState(filters.q ?? '');
  const pushedSearch = useRef(filters.q ?? '');
  useEffect(() => {
    const urlQ = params.get('q') ?? '';
    if (urlQ !== pushedSearch.current) {
      pushedSearch.current = urlQ;
      setSearch(urlQ);
    }
  }, [params]);
  useEffect(() => {
    if (search === pushedSearch.current) return;
    const timer = setTimeout(() => {
      pushedSearch.current = search;
      setParams(
        (current) => {
          const next = new URLSearchParams(current);
          if (search.trim()) next.set('q', search);
          else next.delete('q');
          for (const key of PAGING_KEYS) next.delete(key);
          return next;
        },
        { replace: true },
      );
    }, 200);
    return () => clearTimeout(timer);
  }, [search, setParams]);

  // A page opened with no parameters starts from the admin's default saved filter, once.
  const defaultChecked = useRef(false);
  useEffect(() => {
    if (defaultChecked.current || !savedFilters.data) return;
    defaultChecked.current = true;
    const preferred = savedFilters.data.items.find((item) => item.isDefault);
    if (preferred && [...params.keys()].length === 0) applySaved(preferred, true);
  });

  // Bulk selection: rows picked by hand (kept across pages), or everything the filter matches.
  const session = useSession();
  const columns = useColumnChoice(`roster:user-columns:${session.account.id}:${session.user.id}`, OPTIONAL_COLUMNS);
  const shown = columns.isShown;
  const filtersKey = JSON.stringify(filters);
  const [selection, setSelection] = useState<{ key: string; ids: Set<number>; all: boolean }>({
    key: filtersKey,
    ids: new Set(),
    all: false,
  });
  const current = selection.key === filtersKey ? selection : { key: filtersKey, ids: new Set<number>(), all: false };
  const [bulkAction, setBulkAction] = useState<BulkAction | null>(null);
  const [report, setReport] = useState<BulkReport | null>(null);
  const clearSelection = () => setSelection({ key: filtersKey, ids: new Set(), all: false });
  function toggleRows(ids: number[], on: boolean) {
    const next = new Set(current.all ? (list.data?.items ?? []).map((u) => u.id) : current.ids);
    for (const id of ids) {
      if (on) next.add(id);
      else next.delete(id);
    }
    setSelection({ key: filtersKey, ids: next, all: false });
  }

  const [saveOpen, setSaveOpen] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);

  /** Changes the list (filters, sort, size): it starts again at its first page. */
  function update(changes: Record<string, string | undefined>, replace = false) {
    setParams(
      (current) => {
        const next = new URLSearchParams(current);
        for (const key of PAGING_KEYS) next.delete(key);
        for (const [key, value] of Object.entries(changes)) {
          if (value === undefined || value === '') next.delete(key);
          else next.set(key, value);
        }
        return next;
      },
      { replace },
    );
  }

  function applySaved(saved: SavedFilter, replace = false) {
    const next = new URLSearchParams();
    for (const [key, value] of Object.entries(saved.filter ?? {})) {
      if (value !== undefined && value !== null && value !== '') next.set(key, String(value));
    }
    if (saved.sort) next.set('sort', saved.sort);
    if (saved.order) next.set('order', saved.order);
    const currentLimit = params.get('limit');
    if (currentLimit) next.set('limit', currentLimit);
    setParams(next, { replace });
    setNotice(`Filter “${saved.name}” applied.`);
  }

  const deleteSaved = useMutation({
    mutationFn: (saved: SavedFilter) => api<void>(`/saved-filters/${saved.id}`, { method: 'DELETE' }),
    onSuccess: (_data, saved) => setNotice(`Saved filter “${saved.name}” deleted.`),
    onSettled: () => client.invalidateQueries({ queryKey: ['saved-filters'] }),
  });

  /** Back to the admin's default view: their default saved filter if they have one (it stays their default). */
  function resetToDefault() {
    const preferred = savedFilters.data?.items.find((item) => item.isDefault);
    if (preferred) {
      applySaved(preferred);
      return;
    }
    const next = new URLSearchParams();
    const currentLimit = params.get('limit');
    if (currentLimit) next.set('limit', currentLimit);
    setParams(next);
    setNotice('Filters reset.');
  }

  /** Moves to another page of the same list; the address keeps it (Back returns to the page before). */
  function goTo(target: Position) {
    setParams((current) => {
      const next = new URLSearchParams(current);
      for (const key of PAGING_KEYS) next.delete(key);
      if (target.page === 'last') next.set('page', 'last');
      else if (target.page > 1 && target.cursor) {
        next.set('page', String(target.page));
        next.set('cursor', target.cursor);
      }
      return next;
    });
  }

  function toggleSort(column: UserSort) {
    if (column === sort) update({ order: order === 'asc' ? 'desc' : 'asc' });
    else update({ sort: column, order: 'asc' });
  }

  const page = list.data;
  const items = page?.items ?? [];
  const total = page?.total ?? 0;
  // Page N starts at row (N-1) x size + 1; the last page ends at the total.
  const at = page?.at ?? position;
  const offset =
    !page || page.prevCursor === null
      ? 0
      : at.page === 'last'
        ? Math.max(0, total - items.length)
        : (at.page - 1) * (page?.size ?? limit);
  const pageNumber = at.page === 'last' ? Math.max(1, Math.ceil(total / (page?.size ?? limit))) : at.page;
  const activeFilters = FILTER_KEYS.filter((key) => key !== 'q' && filters[key]).length;
  // A saved filter may name a team deleted since: the list says so beside the filter.
  const listErrors = list.error instanceof ApiError ? list.error.fieldMap() : {};
  const exportHref = `${API_BASE}/users/export.csv${toSearch({ ...filters, sort, order })}`;
  const savedItems = savedFilters.data?.items ?? [];
  const pageIds = items.map((user) => user.id);
  const pageSelected = pageIds.length > 0 && pageIds.every((id) => current.all || current.ids.has(id));
  const selectedCount = current.all ? total : current.ids.size;

  return (
    <div className="page">
      <div className="page__header">
        <div className="page__heading">
          <h1 className="page__title">Users</h1>
          {facets.data ? (
            <span className="count-badge" data-testid="user-count">
              {formatCount(facets.data.total)}
              <span className="visually-hidden"> users in total</span>
            </span>
          ) : null}
        </div>
        <div className="page__actions">
          <fieldset className="button-group" aria-label="Download the users of this view">
            <a className="button button--secondary" href={exportHref} download>
              <DownloadIcon /> Download CSV
            </a>
            <a className="button button--secondary" href={exportHref.replace('/export.csv', '/export.xlsx')} download>
              XLSX<span className="visually-hidden"> download</span>
            </a>
          </fieldset>
          {session.abilities.importUsers ? (
            <Link className="button button--secondary" to="/import">
              Import
            </Link>
          ) : null}
          <Link className="button button--primary" to="/users/new">
            <PlusIcon /> Create user
          </Link>
        </div>
      </div>

      {notice ? (
        <Notice tone="info" onDismiss={() => setNotice(null)}>
          {notice}
        </Notice>
      ) : null}

      <div className="toolbar">
        <div className="search">
          <SearchIcon />
          <input
            type="search"
            className="input search__input"
            placeholder="Search name, username, email, phone, department…"
            aria-label="Search users"
            value={search}
            onChange={(event) => setSearch(event.target.value)}
          />
        </div>
        <button
          type="button"
          className={`button button--secondary${filtersOpen ? ' is-pressed' : ''}`}
          aria-expanded={filtersOpen}
          aria-controls="user-filters"
          onClick={() => setFiltersOpen((open) => !open)}
        >
          <FilterIcon /> Filters
          {activeFilters > 0 ? <span className="pill">{activeFilters}</span> : null}
        </button>
        <SavedFiltersMenu
          items={savedItems}
          onApply={(saved) => applySaved(saved)}
          onDelete={(saved) => deleteSaved.mutate(saved)}
        />
        <button type="button" className="button button--secondary" onClick={() => setSaveOpen(true)}>
          Save filter
        </button>
        <button type="button" className="button button--ghost" onClick={resetToDefault}>
          Reset to default
        </button>
        <div className="toolbar__end">
          <ColumnsMenu options={OPTIONAL_COLUMNS} {...columns} />
        </div>
      </div>

      {filtersOpen ? (
        <section className="filters card" id="user-filters" aria-label="Filters">
          <SelectField
            label="Access type"
            value={filters.accessType ?? ''}
            onValue={(value) => update({ accessType: value })}
            options={[
              { value: '', label: 'Any access type' },
              ...ACCESS_TYPES.map((type) => ({ value: type, label: ACCESS_TYPE_LABELS[type] })),
            ]}
          />
          <SelectField
            label="Status"
            value={filters.status ?? ''}
            onValue={(value) => update({ status: value })}
            options={[
              { value: '', label: 'Any status' },
              ...USER_STATUSES.map((status) => ({ value: status, label: USER_STATUS_LABELS[status] })),
            ]}
          />
          <SelectField
            label="Enabled"
            value={filters.enabled ?? ''}
            onValue={(value) => update({ enabled: value })}
            options={[
              { value: '', label: 'Enabled and disabled' },
              { value: 'true', label: 'Enabled' },
              { value: 'false', label: 'Disabled' },
            ]}
          />
          <SelectField
            label="Department"
            value={filters.department ?? ''}
            onValue={(value) => update({ department: value })}
            options={[
              { value: '', label: 'Any department' },
              ...withCurrent(facets.data?.departments ?? [], filters.department).map((name) => ({
                value: name,
                label: name,
              })),
            ]}
          />
          <SelectField
            label="Source"
            value={filters.source ?? ''}
            onValue={(value) => update({ source: value })}
            options={[
              { value: '', label: 'Any source' },
              ...withCurrent(facets.data?.sources ?? [], filters.source).map((name) => ({
                value: name,
                label: name === 'local' ? 'Local' : name,
              })),
            ]}
          />
          <SelectField
            label="Team"
            value={filters.groupId ?? ''}
            onValue={(value) => update({ groupId: value })}
            error={listErrors.groupId}
            options={[
              { value: '', label: tree.isPending ? 'Loading teams…' : 'Any team' },
              ...groupOptions,
              ...(filters.groupId && tree.data && !groupOptions.some((option) => option.value === filters.groupId)
                ? [{ value: filters.groupId, label: 'A group that no longer exists' }]
                : []),
            ]}
          />
          <SelectField
            label="License"
            value={filters.license ?? ''}
            onValue={(value) => update({ license: value })}
            error={listErrors.license}
            options={[
              { value: '', label: 'Any license' },
              ...APP_KEYS.map((key) => ({ value: key, label: licenseLabel(key) })),
            ]}
          />
        </section>
      ) : null}

      {selectedCount > 0 ? (
        <section className="selection-bar" aria-label="Selection">
          <span className="selection-bar__count" data-testid="selection-count">
            {current.all
              ? `All ${formatCount(total)}${page?.totalExact === false ? '+' : ''} users matching this filter are selected`
              : `${formatCount(selectedCount)} selected`}
          </span>
          {!current.all && pageSelected && total > current.ids.size ? (
            <button
              type="button"
              className="link-button"
              onClick={() => setSelection({ key: filtersKey, ids: new Set(), all: true })}
            >
              Select all {formatCount(total)}
              {page?.totalExact === false ? '+' : ''} users matching this filter
            </button>
          ) : null}
          <button type="button" className="link-button" onClick={clearSelection}>
            Clear selection
          </button>
          <span className="selection-bar__spacer" />
          <BulkActionsMenu disabled={false} onChoose={setBulkAction} />
        </section>
      ) : null}

      <div className={`card table-card${list.isPlaceholderData ? ' is-loading' : ''}`}>
        {list.error ? (
          <div className="table-message">
            <Notice tone="error">{list.error.message}</Notice>
          </div>
        ) : !page ? (
          <div className="table-message">
            <Spinner label="Loading users" />
          </div>
        ) : (
          <div className="table-scroll">
            <table className="table table--users" aria-label="Users" aria-busy={list.isFetching}>
              <thead>
                <tr>
                  <th scope="col" className="cell-check">
                    <input
                      type="checkbox"
                      aria-label="Select every user on this page"
                      checked={pageSelected}
                      disabled={pageIds.length === 0}
                      onChange={(event) => toggleRows(pageIds, event.target.checked)}
                    />
                  </th>
                  <SortHeader label="Contact" column="name" sort={sort} order={order} onSort={toggleSort} />
                  {OPTIONAL_COLUMNS.filter((column) => shown(column.key)).map((column) =>
                    column.key === 'licenses' || column.key === 'source' ? (
                      <th scope="col" key={column.key}>
                        {column.label}
                      </th>
                    ) : (
                      <SortHeader
                        key={column.key}
                        label={column.label}
                        column={column.key as UserSort}
                        sort={sort}
                        order={order}
                        onSort={toggleSort}
                      />
                    ),
                  )}
                </tr>
              </thead>
              <tbody>
                {items.length === 0 ? (
                  <tr>
                    <td colSpan={2 + OPTIONAL_KEYS.filter(shown).length} className="table-empty">
                      <p className="table-empty__title">No users match</p>
                      <p className="muted">Try another search or clear the filters.</p>
                    </td>
                  </tr>
                ) : (
                  items.map((user) => (
                    <UserRow
                      key={user.id}
                      user={user}
                      onOpen={() => navigate(`/users/${user.id}`)}
                      selected={current.all || current.ids.has(user.id)}
                      onSelect={(on) => toggleRows([user.id], on)}
                      shown={shown}
                    />
                  ))
                )}
              </tbody>
            </table>
          </div>
        )}
        {page ? (
          <div className="pager">
            <div className="pager__size">
              <label htmlFor="page-size">Rows per page</label>
              <select
                id="page-size"
                className="input select input--compact"
                value={limit}
                onChange={(event) =>
                  update({ limit: event.target.value === String(DEFAULT_PAGE_SIZE) ? undefined : event.target.value })
                }
              >
                {PAGE_SIZES.map((size) => (
                  <option key={size} value={size}>
                    {size}
                  </option>
                ))}
              </select>
            </div>
            <p className="pager__range" aria-live="polite">
              {items.length === 0
                ? 'No users'
                : `Showing ${formatCount(offset + 1)}–${formatCount(offset + items.length)} of ${formatCount(total)}${page.totalExact ? '' : '+'}`}
            </p>
            <nav className="pager__buttons" aria-label="Pagination">
              <button
                type="button"
                className="button button--secondary button--small"
                disabled={page.prevCursor === null}
                onClick={() => goTo({ page: 1 })}
              >
                First
              </button>
              <button
                type="button"
                className="button button--secondary button--small"
                disabled={page.prevCursor === null}
                onClick={() => goTo({ page: pageNumber - 1, cursor: page.prevCursor ?? undefined })}
              >
                Previous
              </button>
              <button
                type="button"
                className="button button--secondary button--small"
                disabled={page.nextCursor === null}
                onClick={() => goTo({ page: pageNumber + 1, cursor: page.nextCursor ?? undefined })}
              >
                Next
              </button>
              <button
                type="button"
                className="button button--secondary button--small"
                disabled={page.nextCursor === null || !page.totalExact}
                title={page.totalExact ? undefined : 'Narrow the search to jump to the last page'}
                onClick={() => goTo({ page: 'last' })}
              >
                Last
              </button>
            </nav>
          </div>
        ) : null}
      </div>

      {bulkAction ? (
        <BulkDialog
          action={bulkAction}
          selection={current.all ? { filter: toSavedBody(filters) } : { ids: [...current.ids] }}
          onClose={() => setBulkAction(null)}
          onDone={(done) => {
            setBulkAction(null);
            setReport(done);
            clearSelection();
            client.invalidateQueries({ queryKey: ['users'] });
          }}
        />
      ) : null}
      {report ? <BulkReportDialog report={report} onClose={() => setReport(null)} /> : null}

      <SaveFilterDialog
        open={saveOpen}
        onClose={() => setSaveOpen(false)}
        filters={filters}
        groupLabel={groupLabel}
        sort={sort}
        order={order}
        onSaved={(saved) => {
          setSaveOpen(false);
          setNotice(`Filter “${saved.name}” saved${saved.isDefault ? ' as your default' : ''}.`);
        }}
      />
    </div>
  );
}

const SORT_LABELS: Partial<Record<UserSort, string>> = {
  name: 'name',
  phone: 'number',
  department: 'department',
  accessType: 'access type',
  authMethod: 'authentication',
  status: 'status',
};

function describeFilters(filters: Filters, groupLabel: (id: string) => string): string[] {
  const parts: string[] = [];
  if (filters.q) parts.push(`search “${filters.q}”`);
  if (filters.accessType) {
    parts.push(`access type ${ACCESS_TYPE_LABELS[filters.accessType as AccessType] ?? filters.accessType}`);
  }
  if (filters.status)
    parts.push(`${USER_STATUS_LABELS[filters.status as UserStatus]?.toLowerCase() ?? filters.status} users`);
  if (filters.enabled) parts.push(filters.enabled === 'true' ? 'enabled users' : 'disabled users');
  if (filters.department) parts.push(`department ${filters.department}`);
  if (filters.source) parts.push(`source ${filters.source}`);
  if (filters.groupId) parts.push(`team ${groupLabel(filters.groupId)}`);
  if (filters.license) {
    parts.push(`license ${isAppKey(filters.license) ? licenseLabel(filters.license) : filters.license}`);
  }
  return parts;
}

function withCurrent(values: string[], current: string | undefined): string[] {
  return current && !values.includes(current) ? [...values, current] : values;
}

function UserRow({
  user,
  onOpen,
  selected,
  onSelect,
  shown,
}: {
  user: UserListItem;
  onOpen: () => void;
  selected: boolean;
  onSelect: (on: boolean) => void;
  shown: (column: OptionalColumn) => boolean;
}) {
  const h = user.highlights ?? {};
  const nicknames = user.nicknames.join(', ');
  return (
    <tr
      className={`row--link${user.enabled ? '' : ' row--disabled'}${selected ? ' is-selected' : ''}`}
      onClick={(event) => {
        // The checkbox cell selects; the rest of the row opens the user.
        if (!(event.target as HTMLElement).closest('.cell-check')) onOpen();
      }}
      data-user-id={user.id}
    >
      <td className="cell-check">
        <input
          type="checkbox"
          aria-label={`Select ${user.displayName}`}
          checked={selected}
          onChange={(event) => onSelect(event.target.checked)}
        />
      </td>
      <td className="cell-contact">
        <div className="contact">
          <Avatar user={user} />
          <div className="contact__text">
            <div className="contact__name">
              <Link to={`/users/${user.id}`} onClick={(event) => event.stopPropagation()}>
                <Highlight text={user.firstName} ranges={h.firstName} />
                {user.lastName ? ' ' : null}
                <Highlight text={user.lastName} ranges={h.lastName} />
              </Link>
              {user.isOwner ? <Badge tone="accent">Owner</Badge> : null}
              {user.enabled ? null : <Badge tone="red">Disabled</Badge>}
              {user.locked ? <Badge tone="amber">Locked</Badge> : null}
            </div>
            <div
              className="contact__sub"
              title={user.email && user.email !== user.username ? `${user.username} · ${user.email}` : user.username}
            >
              <Highlight text={user.username} ranges={h.username} />
              {user.email && user.email !== user.username ? (
                <>
                  <span className="dot" aria-hidden="true">
                    ·
                  </span>
                  <Highlight text={user.email} ranges={h.email} />
                </>
              ) : null}
            </div>
            {h.nicknames?.length ? (
              <div className="contact__sub">
                aka <Highlight text={nicknames} ranges={h.nicknames} />
              </div>
            ) : null}
          </div>
        </div>
      </td>
      {shown('phone') ? (
        <td className="nowrap">
          {user.phone ? <Highlight text={user.phone} ranges={h.phone} /> : <span className="muted">—</span>}
        </td>
      ) : null}
      {shown('department') ? (
        <td className="cell-department" title={user.department || undefined}>
          {user.department ? (
            <Highlight text={user.department} ranges={h.department} />
          ) : (
            <span className="muted">—</span>
          )}
        </td>
      ) : null}
      {shown('accessType') ? (
        <td className="nowrap">{ACCESS_TYPE_LABELS[user.accessType] ?? user.accessType}</td>
      ) : null}
      {shown('authMethod') ? (
        <td className="nowrap">{AUTH_METHOD_LABELS[user.authMethod] ?? user.authMethod}</td>
      ) : null}
      {shown('source') ? (
        <td className="nowrap">
          {user.source === 'local' ? 'Local' : user.source}
          {user.source !== 'local' && !user.syncEnabled ? <div className="muted small">Sync off</div> : null}
        </td>
      ) : null}
      {shown('status') ? (
        <td>
          <StatusBadge status={user.status} />
        </td>
      ) : null}
      {shown('licenses') ? (
        <td className="nowrap">
          <LicenseIcons licenses={user.licenses} />
        </td>
      ) : null}
    </tr>
  );
}

function SortHeader({
  label,
  column,
  sort,
  order,
  onSort,
}: {
  label: string;
  column: UserSort;
  sort: UserSort;
  order: Order;
  onSort: (column: UserSort) => void;
}) {
  const active = sort === column;
  return (
    <th scope="col" aria-sort={active ? (order === 'asc' ? 'ascending' : 'descending') : 'none'}>
      <button type="button" className={`sort-button${active ? ' is-active' : ''}`} onClick={() => onSort(column)}>
        {label}
        <span className="sort-button__arrow" aria-hidden="true">
          {active ? (order === 'asc' ? '▲' : '▼') : '↕'}
        </span>
      </button>
    </th>
  );
}

function SavedFiltersMenu({
  items,
  onApply,
  onDelete,
}: {
  items: SavedFilter[];
  onApply: (saved: SavedFilter) => void;
  onDelete: (saved: SavedFilter) => void;
}) {
  const { open, setOpen, ref } = useDropdown();
  return (
    <div className="menu" ref={ref}>
      <button
        type="button"
        className="button button--secondary"
        aria-expanded={open}
        aria-haspopup="true"
        onClick={() => setOpen((value) => !value)}
      >
        Saved filters{items.length > 0 ? <span className="pill">{items.length}</span> : null}
        <span aria-hidden="true" className="caret">
          ▾
        </span>
      </button>
      {open ? (
        <div className="menu__panel">
          {items.length === 0 ? (
            <p className="menu__empty">No saved filters yet. Set some filters and choose “Save filter”.</p>
          ) : (
            <ul className="menu__list">
              {items.map((saved) => (
                <li key={saved.id} className="menu__item">
                  <button
                    type="button"
                    className="menu__apply"
                    onClick={() => {
                      setOpen(false);
                      onApply(saved);
                    }}
                  >
                    <span>{saved.name}</span>
                    {saved.isDefault ? <Badge tone="accent">Default</Badge> : null}
                  </button>
                  <button
                    type="button"
                    className="icon-button"
                    aria-label={`Delete saved filter ${saved.name}`}
                    onClick={() => onDelete(saved)}
                  >
                    <TrashIcon />
                  </button>
                </li>
              ))}
            </ul>
          )}
        </div>
      ) : null}
    </div>
  );
}

function SaveFilterDialog({
  open,
  onClose,
  filters,
  groupLabel,
  sort,
  order,
  onSaved,
}: {
  open: boolean;
  onClose: () => void;
  filters: Filters;
  groupLabel: (id: string) => string;
  sort: UserSort;
  order: Order;
  onSaved: (saved: SavedFilter) => void;
}) {
  const client = useQueryClient();
  const [name, setName] = useState('');
  const [isDefault, setIsDefault] = useState(false);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const save = useMutation({
    mutationFn: (body: unknown) => api<SavedFilter>('/saved-filters', { method: 'POST', body }),
    onSuccess: (saved) => {
      client.invalidateQueries({ queryKey: ['saved-filters'] });
      setName('');
      setIsDefault(false);
      setErrors({});
      onSaved(saved);
    },
    onError: (error) => {
      if (error instanceof ApiError) setErrors({ name: error.fieldMap().name ?? error.message });
    },
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    const parsed = savedFilterCreateSchema.safeParse({ name, filter: toSavedBody(filters), sort, order, isDefault });
    if (!parsed.success) {
      setErrors(issuesByField(parsed.error.issues));
      return;
    }
    save.mutate(parsed.data);
  }

  const described = describeFilters(filters, groupLabel);
  const sortLabel = `${SORT_LABELS[sort] ?? sort}, ${order === 'asc' ? 'ascending' : 'descending'}`;

  return (
    <Dialog
      open={open}
      title="Save filter"
      onClose={onClose}
      footer={
        <>
          <button type="button" className="button button--ghost" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" form="save-filter-form" className="button button--primary" disabled={save.isPending}>
            Save
          </button>
        </>
      }
    >
      <form id="save-filter-form" className="form-stack" onSubmit={submit} noValidate>
        <p className="muted">
          {described.length > 0
            ? `Saves ${described.join(' · ')}, sorted by ${sortLabel}.`
            : `Saves the current sort (${sort} ${order}) with no filters.`}
        </p>
        <TextField
          label="Filter name"
          value={name}
          onValue={(value) => {
            setName(value);
            setErrors({});
          }}
          required
          error={errors.name ?? errors.filter}
          autoFocus
        />
        <Checkbox
          label="Use as default"
          checked={isDefault}
          onChange={setIsDefault}
          hint="Applied when you open Users without filters."
        />
      </form>
    </Dialog>
  );
}
