// Checks a response against what the OpenAPI document promises for its operation (as Logto's koaGuard does outside
// production): the status must be documented, and a JSON body must match that status's zod schema exactly, with
// no field the schema does not name.
import type { OpenAPIHono, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';

type Definitions = OpenAPIHono['openAPIRegistry']['definitions'];
type Responses = Extract<Definitions[number], { type: 'route' }>['route']['responses'];

interface Operation {
  /** `GET /users/{id}`, as the document names it. */
  name: string;
  method: string;
  /** The path template's segments; `null` stands for a parameter. */
  segments: (string | null)[];
  responses: Responses;
}

/** What a response was: its status, its content type and its body as text. */
export interface ResponseSample {
  method: string;
  /** The path under the API's base, without the query: `/users/42`. */
  path: string;
  status: number;
  contentType: string | null;
  body: string;
}

const isZod = (value: unknown): value is z.ZodType =>
  typeof value === 'object' && value !== null && '_zod' in value && 'safeParse' in value;

const isJson = (mediaType: string) => /^application\/(?:[\w.-]+\+)?json$/i.test(mediaType);

/** The operations of an OpenAPI registry, to check responses against. */
export class ResponseContract {
  private readonly operations: Operation[];

  constructor(definitions: Definitions) {
    this.operations = definitions.flatMap((definition) =>
      definition.type === 'route'
        ? [
            {
              name: `${definition.route.method.toUpperCase()} ${definition.route.path}`,
              method: definition.route.method.toUpperCase(),
              segments: definition.route.path
                .split('/')
                .slice(1)
                .map((segment) => (/^\{.+\}$/.test(segment) ? null : segment)),
              responses: definition.route.responses,
            },
          ]
        : [],
    );
  }

  /** The documented operation a request reaches; a literal segment wins over a parameter (`/users/facets`). */
  operation(method: string, path: string): Operation | undefined {
    const segments = path.split('/').slice(1);
    const matches = this.operations.filter(
      (operation) =>
        operation.method === method.toUpperCase() &&
        operation.segments.length === segments.length &&
        operation.segments.every((segment, index) => segment === null || segment === segments[index]),
    );
    const literalFirst = (operation: Operation) => operation.segments.map((segment) => (segment === null ? 1 : 0));
    return matches.sort((a, b) => {
      const [x, y] = [literalFirst(a), literalFirst(b)];
      const index = x.findIndex((value, i) => value !== y[i]);
      return index < 0 ? 0 : (x[index] ?? 0) - (y[index] ?? 0);
    })[0];
  }

  /** Why the response breaks the contract, or null when it keeps it (or no documented operation matches). */
  problem(sample: ResponseSample): string | null {
    const operation = this.operation(sample.method, sample.path);
    if (!operation) return null;
    const at = `${operation.name} answered ${sample.status}`;
    const documented = operation.responses[String(sample.status)];
    if (!documented || !('description' in documented || 'content' in documented)) {
      return `${at}, which its OpenAPI description does not list (it lists ${Object.keys(operation.responses).join(', ')})`;
    }
    const content = 'content' in documented ? documented.content : undefined;
    const mediaTypes = Object.keys(content ?? {});
    if (mediaTypes.length === 0) {
      return sample.body === '' ? null : `${at} with a body, where none is documented`;
    }
    const mediaType = (sample.contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    const entry = content?.[mediaTypes.find((type) => type.toLowerCase() === mediaType) ?? ''];
    if (!entry) return `${at} with content type "${sample.contentType}", not ${mediaTypes.join(' or ')}`;
    const schema = 'schema' in entry ? entry.schema : undefined;
    if (!isJson(mediaType) || !isZod(schema)) return null;
    let body: unknown;
    try {
      body = JSON.parse(sample.body);
    } catch {
      return `${at} with a body that is not JSON: ${sample.body.slice(0, 200)}`;
    }
    const issues = bodyIssues(schema, body);
    if (issues.length === 0) return null;
    const shown = issues.slice(0, 8).join('; ');
    return `${at} with a body that does not match its documented schema: ${shown}${issues.length > 8 ? `; and ${issues.length - 8} more` : ''}`;
  }
}

/** The ways a body differs from a schema: zod's issues, then fields the schema does not name. */
export function bodyIssues(schema: z.ZodType, body: unknown): string[] {
  const result = schema.safeParse(body);
  if (!result.success) {
    return result.error.issues.map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`);
  }
  const extra: string[] = [];
  undocumentedFields(schema, body, [], extra);
  return extra.map((path) => `${path}: not in the schema`);
}

type Def = z.core.$ZodTypeDef & Record<string, unknown>;

/** Collects the paths of object keys the schema does not name (zod's objects drop them silently). */
function undocumentedFields(schema: z.core.$ZodType, value: unknown, path: string[], out: string[]): void {
  const def = schema._zod.def as Def;
  const inner = (key: string) => def[key] as z.core.$ZodType;
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'readonly':
    case 'nonoptional':
      if (value !== null && value !== undefined) undocumentedFields(inner('innerType'), value, path, out);
      return;
    case 'pipe':
      undocumentedFields(inner('in'), value, path, out);
      return;
    case 'lazy':
      undocumentedFields((def.getter as () => z.core.$ZodType)(), value, path, out);
      return;
    case 'array':
      if (Array.isArray(value)) {
        for (const [i, item] of value.entries()) undocumentedFields(inner('element'), item, [...path, String(i)], out);
      }
      return;
    case 'tuple':
      if (Array.isArray(value)) {
        const items = def.items as z.core.$ZodType[];
        value.forEach((item, i) => {
          const itemSchema = items[i] ?? (def.rest as z.core.$ZodType | null);
          if (itemSchema) undocumentedFields(itemSchema, item, [...path, String(i)], out);
        });
      }
      return;
    case 'record':
      if (value && typeof value === 'object') {
        for (const [key, item] of Object.entries(value))
          undocumentedFields(inner('valueType'), item, [...path, key], out);
      }
      return;
    case 'union': {
      const option = (def.options as z.core.$ZodType[]).find((candidate) => isParsed(candidate, value));
      if (option) undocumentedFields(option, value, path, out);
      return;
    }
    case 'object': {
      if (!value || typeof value !== 'object') return;
      const shape = def.shape as Record<string, z.core.$ZodType>;
      for (const [key, item] of Object.entries(value)) {
        const field = shape[key];
        if (field) undocumentedFields(field, item, [...path, key], out);
        else if (!def.catchall) out.push([...path, key].join('.'));
      }
      return;
    }
    default:
      return;
  }
}

const isParsed = (schema: z.core.$ZodType, value: unknown) => (schema as unknown as z.ZodType).safeParse(value).success;

/**
 * Middleware that checks every response of the API against the contract (for development and tests): a response
 * that breaks it becomes a 500 `ResponseMismatch` naming the operation, the status and the difference, and is
 * logged, so it cannot go unnoticed. `definitions` is read at the first request, once every route is registered.
 */
export function responseContractCheck(definitions: () => Definitions, basePath: string): MiddlewareHandler {
  let contract: ResponseContract | undefined;
  return async (c, next) => {
    await next();
    contract ??= new ResponseContract(definitions());
    const path = new URL(c.req.url).pathname;
    if (!path.startsWith(`${basePath}/`)) return;
    const contentType = c.res.headers.get('content-type');
    // Downloads stream and are documented as files: only JSON bodies (and bodies where none is due) are read.
    const readable = !contentType || isJson(contentType.split(';')[0]?.trim() ?? '');
    const body = c.res.body && readable ? await c.res.clone().text() : '';
    const problem = contract.problem({
      method: c.req.method,
      path: path.slice(basePath.length),
      status: c.res.status,
      contentType,
      body,
    });
    if (!problem) return;
    console.error(`[roster] response mismatch: ${problem}`);
    c.res = c.json({ error: { code: 'ResponseMismatch', message: problem } }, 500);
  };
}
