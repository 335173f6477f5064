// The SCIM filter grammar (RFC 7644, 3.4.2.2): the RFC's own examples, what the big identity providers send, and
// filters that must be refused with a clear message rather than crash.
import { describe, expect, it } from 'vitest';
import { type Filter, parseAttrPath, parseFilter, parsePatchPath, ScimFilterError } from './filter.js';

const path = (attribute: string, subAttribute: string | null = null, schema: string | null = null) => ({
  schema,
  attribute,
  subAttribute,
});

/** The tree as a compact string, to compare precedence at a glance. */
function show(filter: Filter): string {
  const p = (x: { schema: string | null; attribute: string; subAttribute: string | null }) =>
    `${x.schema ? `${x.schema}:` : ''}${x.attribute}${x.subAttribute ? `.${x.subAttribute}` : ''}`;
  switch (filter.kind) {
    case 'compare':
      return `${p(filter.path)} ${filter.op} ${JSON.stringify(filter.value)}`;
    case 'present':
      return `${p(filter.path)} pr`;
    case 'and':
    case 'or':
      return `(${show(filter.left)} ${filter.kind} ${show(filter.right)})`;
    case 'not':
      return `not(${show(filter.filter)})`;
    case 'valuePath':
      return `${p(filter.path)}[${show(filter.filter)}]`;
  }
}

describe('SCIM filters', () => {
  it("reads every example of RFC 7644's section 3.4.2.2", () => {
    const examples: [string, string][] = [
      ['userName Eq "john"', 'username eq "john"'],
      ['name.familyName co "O\'Malley"', `name.familyname co "O'Malley"`],
      ['userName sw "J"', 'username sw "J"'],
      [
        'urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J"',
        'urn:ietf:params:scim:schemas:core:2.0:User:username sw "J"',
      ],
      ['title pr', 'title pr'],
      ['meta.lastModified gt "2011-05-13T04:42:34Z"', 'meta.lastmodified gt "2011-05-13T04:42:34Z"'],
      ['meta.lastModified ge "2011-05-13T04:42:34Z"', 'meta.lastmodified ge "2011-05-13T04:42:34Z"'],
      ['meta.lastModified lt "2011-05-13T04:42:34Z"', 'meta.lastmodified lt "2011-05-13T04:42:34Z"'],
      ['meta.lastModified le "2011-05-13T04:42:34Z"', 'meta.lastmodified le "2011-05-13T04:42:34Z"'],
      ['title pr and userType eq "Employee"', '(title pr and usertype eq "Employee")'],
      ['title pr or userType eq "Intern"', '(title pr or usertype eq "Intern")'],
      [
        'schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"',
        'schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"',
      ],
      [
        'userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")',
        '(usertype eq "Employee" and (emails co "example.com" or emails.value co "example.org"))',
      ],
      [
        'userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")',
        '(usertype ne "Employee" and not((emails co "example.com" or emails.value co "example.org")))',
      ],
      ['userType eq "Employee" and (emails.type eq "work")', '(usertype eq "Employee" and emails.type eq "work")'],
      [
        'userType eq "Employee" and emails[type eq "work" and value co "@example.com"]',
        '(usertype eq "Employee" and emails[(type eq "work" and value co "@example.com")])',
      ],
      [
        'emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]',
        '(emails[(type eq "work" and value co "@example.com")] or ims[(type eq "xmpp" and value co "@foo.com")])',
      ],
    ];
    for (const [text, tree] of examples) expect(show(parseFilter(text)), text).toBe(tree);
  });

  it('binds "and" tighter than "or", left to right', () => {
    expect(show(parseFilter('a eq 1 or b eq 2 and c eq 3'))).toBe('(a eq 1 or (b eq 2 and c eq 3))');
    expect(show(parseFilter('a eq 1 and b eq 2 or c eq 3'))).toBe('((a eq 1 and b eq 2) or c eq 3)');
    expect(show(parseFilter('a pr or b pr or c pr'))).toBe('((a pr or b pr) or c pr)');
  });

  it('reads what identity providers send, in any case', () => {
    expect(parseFilter('userName eq "Test_User_dfeef4c5-5681-4387-b016-bdf221e82081"')).toEqual({
      kind: 'compare',
      path: path('username'),
      op: 'eq',
      value: 'Test_User_dfeef4c5-5681-4387-b016-bdf221e82081',
    });
    expect(parseFilter('externalId EQ "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"')).toMatchObject({
      path: path('externalid'),
      op: 'eq',
    });
    expect(parseFilter('displayName eq "Group 1"')).toMatchObject({ path: path('displayname') });
    expect(
      parseFilter('urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984"'),
    ).toMatchObject({
      path: path('employeenumber', null, 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'),
    });
    expect(parseFilter('active eq true')).toMatchObject({ value: true });
    expect(parseFilter('manager eq null')).toMatchObject({ value: null });
    expect(parseFilter('meta.version lt 3.5e2')).toMatchObject({ value: 350 });
    expect(parseFilter('NOT(title PR)')).toEqual({ kind: 'not', filter: { kind: 'present', path: path('title') } });
  });

  it('keeps JSON escapes in strings', () => {
    expect(parseFilter('displayName eq "say \\"hi\\" \\u00e9\\\\"')).toMatchObject({ value: 'say "hi" é\\' });
    expect(parseFilter('name.familyName eq "Ødegård"')).toMatchObject({ value: 'Ødegård' });
  });

  it('reads attribute paths as PATCH and attributes= name them', () => {
    expect(parseAttrPath('name.givenName')).toEqual(path('name', 'givenname'));
    expect(parseAttrPath('urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager')).toEqual(
      path('manager', null, 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'),
    );
    expect(() => parseAttrPath('a.b.c')).toThrow(ScimFilterError);
    expect(() => parseAttrPath('1abc')).toThrow(ScimFilterError);
  });

  it('refuses what is not a filter, saying where, and never throws anything else', () => {
    const refused: [string, RegExp][] = [
      ['', /empty/],
      ['   ', /empty/],
      ['userName', /operator/],
      ['userName eq', /value/],
      ['userName equals "x"', /not an operator/],
      ['userName eq john', /value/],
      ['userName eq "john', /not closed/],
      ['userName eq "bad \\x escape"', /escape/],
      ['(userName eq "a"', /Expected "\)"/],
      ['userName eq "a")', /after the end/],
      ['userName eq "a" and', /attribute name/],
      ['userName eq "a" xor title pr', /after the end/],
      ['not title pr', /"not" must be followed/],
      ['emails[type eq "work"', /Expected "\]"/],
      ['emails.value[type eq "work"]', /sub-attribute/],
      ['name.given.name eq "x"', /not an attribute name/],
      ['userName eq "a" ; drop table users', /Unexpected character/],
      ['userName eq "\u0000"', /escape/],
      [`${'('.repeat(40)}a pr${')'.repeat(40)}`, /nests deeper/],
      [`userName eq "${'x'.repeat(5000)}"`, /longer than/],
    ];
    for (const [text, message] of refused) {
      let error: unknown;
      try {
        parseFilter(text);
      } catch (caught) {
        error = caught;
      }
      expect(error, text).toBeInstanceOf(ScimFilterError);
      expect((error as Error).message, text).toMatch(message);
    }
  });

  it('survives random text: a ScimFilterError or a tree, nothing else', () => {
    const alphabet = ['a', 'eq', 'and', 'or', 'not', '(', ')', '[', ']', '"x"', '"', '1', 'pr', ' ', '.', ':', '\\'];
    let seed = 20261205;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let i = 0; i < 5000; i++) {
      const text = Array.from({ length: 1 + Math.floor(random() * 12) }, () => {
        return alphabet[Math.floor(random() * alphabet.length)];
      }).join(' ');
      try {
        parseFilter(text);
      } catch (error) {
        expect(error, text).toBeInstanceOf(ScimFilterError);
      }
    }
  });

  it('reads PATCH paths, with value filters and a sub-attribute after them', () => {
    expect(parsePatchPath('displayName')).toEqual({ path: path('displayname'), filter: null, subAttribute: null });
    expect(parsePatchPath('name.givenName')).toMatchObject({ path: path('name', 'givenname'), filter: null });
    const work = parsePatchPath('emails[type eq "work"].value');
    expect(work.path).toEqual(path('emails'));
    expect(work.subAttribute).toBe('value');
    expect(work.filter && show(work.filter)).toBe('type eq "work"');
    const member = parsePatchPath('members[value eq "2819c223-7f76-453a-919d-413861904646"]');
    expect(member).toMatchObject({ path: path('members'), subAttribute: null });
    expect(parsePatchPath('urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager').path.schema).toBe(
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
    );
    // A value in the filter may hold brackets of its own.
    expect(parsePatchPath('emails[value eq "a]b@example.com"]').filter).toMatchObject({ value: 'a]b@example.com' });
    for (const bad of ['emails[type eq "work"', 'emails[type eq "work"]value', 'name.givenName[x pr]', 'emails[]']) {
      expect(() => parsePatchPath(bad), bad).toThrow(ScimFilterError);
    }
  });
});
