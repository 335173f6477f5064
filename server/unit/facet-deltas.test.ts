// A batch's facet counts come in one order whatever order its users came in, so that two transactions lock the facet
// rows they count in the same order (see facetDeltas).
import { describe, expect, it } from 'vitest';
import { facetDeltas } from '../db/user-index.js';

const user = (department: string, accessType = 'standard') => ({
  account_id: 7,
  access_type: accessType,
  status: 'active',
  enabled: 1,
  department,
  source: 'scim',
});

describe('facetDeltas', () => {
  it('counts users by facet, in the same order for any order of the users', () => {
    const users = [user('Support'), user('Billing'), user('Support', 'admin'), user('Billing'), user('Ägypten')];
    const forward = facetDeltas(users);
    const backward = facetDeltas([...users].reverse());
    expect(backward).toEqual(forward);
    expect(forward.map((d) => [d.department, d.access_type, d.n])).toEqual([
      ['Support', 'admin', 1],
      ['Billing', 'standard', 2],
      ['Support', 'standard', 1],
      ['Ägypten', 'standard', 1],
    ]);
  });
});
