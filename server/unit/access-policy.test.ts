import { describe, expect, it } from 'vitest';
import { ALL_ACTIONS, BUILT_IN_APPS, RULES } from '../policy/catalog.js';
import { buildCatalog, type CatalogRole, decide, type Subject } from '../policy/decide.js';
import { canSetAccessType } from '../policy.js';

const role = (id: number, name: string, children: number[] = []): CatalogRole => ({
  id,
  app: 'quality_management',
  name,
  key: `quality_management/${name}`,
  composite: children.length > 0,
  builtIn: false,
  description: '',
  children,
});

const subject = (overrides: Partial<Subject> = {}): Subject => ({
  id: 1,
  accountId: 1,
  username: 'u',
  accessType: 'standard',
  isOwner: false,
  enabled: true,
  validFrom: null,
  expiresAt: null,
  licenses: new Set(['quality_management']),
  analysisEnabled: true,
  roleIds: [],
  ...overrides,
});

describe('access policy', () => {
  it('expands nested composites and cannot loop on a cycle that slipped into the data', () => {
    const catalog = buildCatalog(1, [role(1, 'A', [2]), role(2, 'B', [3]), role(3, 'C', [1]), role(4, 'REPORTS_VIEW')]);
    expect([...catalog.closure(1)].sort()).toEqual([
      'quality_management/A',
      'quality_management/B',
      'quality_management/C',
    ]);
  });

  it('needs every role a rule names, and the scope', () => {
    const catalog = buildCatalog(1, [role(1, 'EVAL_AGENTS'), role(2, 'CREATE_EVALS'), role(3, 'BOTH', [1, 2])]);
    const ask = (roleIds: number[]) =>
      decide(subject({ roleIds }), 'quality_management:evaluation.create', { ownerId: 2, groupId: 9 }, catalog, {
        now: new Date(),
        groups: { isMember: () => false, canReview: (_u, g, o) => g === 9 && o === 2 },
      });
    expect(ask([1]).reason.code).toBe('NoRole');
    expect(ask([3])).toMatchObject({
      allowed: true,
      reason: { role: 'EVAL_AGENTS + CREATE_EVALS', via: 'BOTH (role mapping)' },
    });
  });

  it('keeps Scorer out of the console in both directions', () => {
    expect(canSetAccessType('console', null, 'scorer')).toBe(false);
    expect(canSetAccessType('console', 'scorer', 'admin')).toBe(false);
    expect(canSetAccessType('console', 'scorer', 'scorer')).toBe(true);
    expect(canSetAccessType('console', 'standard', 'admin')).toBe(true);
    expect(canSetAccessType('api', null, 'scorer')).toBe(true);
  });

  it('names only roles that exist in the built-in catalog', () => {
    const known = new Set(BUILT_IN_APPS.flatMap((app) => app.roles.map((r) => `${app.key}/${r.name}`)));
    for (const rule of RULES) for (const name of rule.roles) expect(known.has(`${rule.app}/${name}`)).toBe(true);
    for (const app of BUILT_IN_APPS) {
      for (const name of Object.values(app.accessTypeRoles)) expect(known.has(`${app.key}/${name}`)).toBe(true);
      for (const r of app.roles)
        for (const child of r.children ?? []) expect(known.has(`${app.key}/${child}`)).toBe(true);
    }
    expect(ALL_ACTIONS).toContain('voice_analytics:recording.read');
  });
});
