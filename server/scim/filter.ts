// SCIM filters (RFC 7644, section 3.4.2.2) parsed into a tree, before anything touches the database:
//
//   FILTER    = attrExp / logExp / valuePath / *1"not" "(" FILTER ")"
//   attrExp   = (attrPath SP "pr") / (attrPath SP compareOp SP compValue)
//   logExp    = FILTER SP ("and" / "or") SP FILTER          ("and" binds tighter than "or")
//   valuePath = attrPath "[" valFilter "]"                  (a filter on the values of a multi-valued attribute)
//   attrPath  = [URI ":"] ATTRNAME *1subAttr
//
// Operators and attribute names are case-insensitive; values are JSON literals (strings with JSON escapes, numbers,
// true, false, null). A filter that is not one of these is a ScimFilterError (400 invalidFilter), never a crash.

import { forbiddenCharacter } from '../../shared/text.js';

export const COMPARE_OPERATORS = ['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le'] as const;
export type CompareOperator = (typeof COMPARE_OPERATORS)[number];

/** An attribute named by a filter: an optional schema URN, the attribute, and an optional sub-attribute. */
export interface AttrPath {
  /** The schema URN as written (e.g. urn:ietf:params:scim:schemas:extension:enterprise:2.0:User), or null. */
  schema: string | null;
  /** Lower case. */
  attribute: string;
  /** Lower case, or null. */
  subAttribute: string | null;
}

export type CompareValue = string | number | boolean | null;

export type Filter =
  | { kind: 'compare'; path: AttrPath; op: CompareOperator; value: CompareValue }
  | { kind: 'present'; path: AttrPath }
  | { kind: 'and'; left: Filter; right: Filter }
  | { kind: 'or'; left: Filter; right: Filter }
  | { kind: 'not'; filter: Filter }
  /** `emails[type eq "work"]`: some value of the multi-valued attribute matches the inner filter. */
  | { kind: 'valuePath'; path: AttrPath; filter: Filter };

export class ScimFilterError extends Error {
  constructor(
    message: string,
    /** Where in the filter text, for the message. */
    readonly at: number,
  ) {
    super(message);
  }
}

/** Filters longer than this are refused before they are read. */
export const MAX_FILTER_LENGTH = 4096;
/** Nesting (parentheses, not, brackets) deeper than this is refused: no request needs it, and recursion has a cost. */
const MAX_DEPTH = 32;

type Token =
  | { type: 'word'; text: string; at: number }
  | { type: 'string'; value: string; at: number }
  | { type: 'number'; value: number; at: number }
  | { type: '(' | ')' | '[' | ']'; at: number }
  | { type: 'end'; at: number };

const WORD = /[A-Za-z0-9_$:.-]/;
const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i] as string;
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') {
      i++;
      continue;
    }
    if (ch === '(' || ch === ')' || ch === '[' || ch === ']') {
      tokens.push({ type: ch, at: i });
      i++;
      continue;
    }
    if (ch === '"') {
      const start = i;
      i++;
      let raw = '"';
      for (;;) {
        if (i >= text.length) throw new ScimFilterError('A string is not closed with "', start);
        const c = text[i] as string;
        raw += c;
        i++;
        if (c === '\\') {
          if (i >= text.length) throw new ScimFilterError('A string ends in the middle of an escape', start);
          raw += text[i];
          i++;
          continue;
        }
        if (c === '"') break;
      }
      let value: unknown;
      try {
        value = JSON.parse(raw);
      } catch {
        throw new ScimFilterError('A string has an escape JSON does not allow', start);
      }
      // An escape can spell what the query guard refuses in raw text (NUL breaks PostgreSQL's text and FTS5's match).
      const refused = forbiddenCharacter(value as string, true);
      if (refused) throw new ScimFilterError(`A string: ${refused}`, start);
      tokens.push({ type: 'string', value: value as string, at: start });
      continue;
    }
    if (WORD.test(ch)) {
      const start = i;
      while (i < text.length && WORD.test(text[i] as string)) i++;
      const word = text.slice(start, i);
      if (NUMBER.test(word)) tokens.push({ type: 'number', value: Number(word), at: start });
      else tokens.push({ type: 'word', text: word, at: start });
      continue;
    }
    throw new ScimFilterError(`Unexpected character ${JSON.stringify(ch)}`, i);
  }
  tokens.push({ type: 'end', at: text.length });
  return tokens;
}

/** Parses an attribute path: `userName`, `name.givenName`, `urn:...:enterprise:2.0:User:manager.value`. */
export function parseAttrPath(text: string, at = 0): AttrPath {
  let schema: string | null = null;
  let rest = text;
  if (/^urn:/i.test(text)) {
    // The URN runs to its last colon; what follows is the attribute (and sub-attribute).
    const colon = text.lastIndexOf(':');
    schema = text.slice(0, colon);
    rest = text.slice(colon + 1);
  }
  const parts = rest.split('.');
  const valid = (name: string | undefined) => name !== undefined && /^[A-Za-z][A-Za-z0-9_$-]*$/.test(name);
  if (parts.length > 2 || !valid(parts[0]) || (parts.length === 2 && !valid(parts[1]))) {
    throw new ScimFilterError(`${JSON.stringify(text)} is not an attribute name`, at);
  }
  return {
    schema,
    attribute: (parts[0] as string).toLowerCase(),
    subAttribute: parts.length === 2 ? (parts[1] as string).toLowerCase() : null,
  };
}

class Parser {
  private position = 0;
  private depth = 0;

  constructor(private readonly tokens: Token[]) {}

  parse(): Filter {
    const filter = this.or();
    const next = this.peek();
    if (next.type !== 'end') throw new ScimFilterError('Unexpected text after the end of the filter', next.at);
    return filter;
  }

  private peek(): Token {
    return this.tokens[this.position] as Token;
  }

  private next(): Token {
    const token = this.peek();
    if (token.type !== 'end') this.position++;
    return token;
  }

  private isWord(token: Token, word: string): boolean {
    return token.type === 'word' && token.text.toLowerCase() === word;
  }

  private nested<T>(at: number, read: () => T): T {
    if (++this.depth > MAX_DEPTH) throw new ScimFilterError(`The filter nests deeper than ${MAX_DEPTH} levels`, at);
    try {
      return read();
    } finally {
      this.depth--;
    }
  }

  private or(): Filter {
    let left = this.and();
    while (this.isWord(this.peek(), 'or')) {
      this.next();
      left = { kind: 'or', left, right: this.and() };
    }
    return left;
  }

  private and(): Filter {
    let left = this.unary();
    while (this.isWord(this.peek(), 'and')) {
      this.next();
      left = { kind: 'and', left, right: this.unary() };
    }
    return left;
  }

  private unary(): Filter {
    const token = this.peek();
    if (this.isWord(token, 'not')) {
      this.next();
      const open = this.next();
      if (open.type !== '(') throw new ScimFilterError('"not" must be followed by "("', open.at);
      return this.nested(open.at, () => ({ kind: 'not', filter: this.closeWith(')') }));
    }
    if (token.type === '(') {
      this.next();
      return this.nested(token.at, () => this.closeWith(')'));
    }
    return this.attributeExpression();
  }

  /** The filter inside a pair of parentheses or brackets, and its closing token. */
  private closeWith(close: ')' | ']'): Filter {
    const filter = this.or();
    const end = this.next();
    if (end.type !== close) throw new ScimFilterError(`Expected "${close}"`, end.at);
    return filter;
  }

  private attributeExpression(): Filter {
    const token = this.next();
    if (token.type !== 'word') throw new ScimFilterError('Expected an attribute name', token.at);
    const path = parseAttrPath(token.text, token.at);
    if (this.peek().type === '[') {
      const open = this.next();
      if (path.subAttribute) {
        throw new ScimFilterError('A value filter goes on an attribute, not on a sub-attribute', open.at);
      }
      const filter = this.nested(open.at, () => this.closeWith(']'));
      return { kind: 'valuePath', path, filter };
    }
    const operator = this.next();
    if (operator.type !== 'word')
      throw new ScimFilterError('Expected an operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr)', operator.at);
    const op = operator.text.toLowerCase();
    if (op === 'pr') return { kind: 'present', path };
    if (!(COMPARE_OPERATORS as readonly string[]).includes(op)) {
      throw new ScimFilterError(`"${operator.text}" is not an operator`, operator.at);
    }
    const value = this.next();
    return { kind: 'compare', path, op: op as CompareOperator, value: this.compareValue(value) };
  }

  private compareValue(token: Token): CompareValue {
    if (token.type === 'string' || token.type === 'number') return token.value;
    if (token.type === 'word') {
      const word = token.text.toLowerCase();
      if (word === 'true') return true;
      if (word === 'false') return false;
      if (word === 'null') return null;
    }
    throw new ScimFilterError('Expected a value: a "string", a number, true, false or null', token.at);
  }
}

/** Parses a SCIM filter; throws ScimFilterError, with where it went wrong, for anything else. */
export function parseFilter(text: string): Filter {
  if (text.length > MAX_FILTER_LENGTH) {
    throw new ScimFilterError(`The filter is longer than ${MAX_FILTER_LENGTH} characters`, MAX_FILTER_LENGTH);
  }
  if (text.trim() === '') throw new ScimFilterError('The filter is empty', 0);
  return new Parser(tokenize(text)).parse();
}

/**
 * A PATCH operation's path (RFC 7644, 3.5.2): `attrPath`, or `attrPath[valFilter]` optionally followed by
 * `.subAttr` (`emails[type eq "work"].value`, `members[value eq "2819c223"]`).
 */
export interface PatchPath {
  path: AttrPath;
  /** The values of a multi-valued attribute the operation applies to, or null for the attribute itself. */
  filter: Filter | null;
  /** After a value filter: the sub-attribute of the matching values (lower case), or null. */
  subAttribute: string | null;
}

export function parsePatchPath(text: string): PatchPath {
  if (text.length > MAX_FILTER_LENGTH) {
    throw new ScimFilterError(`The path is longer than ${MAX_FILTER_LENGTH} characters`, MAX_FILTER_LENGTH);
  }
  const open = text.indexOf('[');
  if (open < 0) return { path: parseAttrPath(text.trim()), filter: null, subAttribute: null };
  const close = text.lastIndexOf(']');
  if (close < open) throw new ScimFilterError('Expected "]"', text.length);
  const path = parseAttrPath(text.slice(0, open).trim(), 0);
  if (path.subAttribute) {
    throw new ScimFilterError('A value filter goes on an attribute, not on a sub-attribute', open);
  }
  const filter = parseFilter(text.slice(open + 1, close));
  const after = text.slice(close + 1).trim();
  if (after === '') return { path, filter, subAttribute: null };
  if (!/^\.[A-Za-z][A-Za-z0-9_$-]*$/.test(after)) {
    throw new ScimFilterError(`${JSON.stringify(after)} cannot follow a value filter`, close + 1);
  }
  return { path, filter, subAttribute: after.slice(1).toLowerCase() };
}
