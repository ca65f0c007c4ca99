// Turns a schema validation failure (ajv error, allErrors off: the first one) into our error:
// the code the parameter's schema names (`x-error-code`, see schemas/common.ts) or INVALID_REQUEST,
// and a message naming the parameter and the rule: "unknown query parameter `foo`",
// "`limit` must be ≤ 500".
import type { FastifySchemaValidationError } from 'fastify';

export interface ValidationProblem {
  code: string;
  message: string;
  details: { in: string; parameter: string | null; rule: string };
}

const WHERE: Record<string, string> = { querystring: 'query parameter', params: 'path parameter', body: 'body field', headers: 'header' };

/** "/services/0" → "services[0]"; "" → null (the whole query, body …). */
function paramName(instancePath: string): string | null {
  if (!instancePath) return null;
  return instancePath
    .slice(1)
    .split('/')
    .map((p, i) => (/^\d+$/.test(p) ? `[${p}]` : `${i === 0 ? '' : '.'}${p.replace(/~1/g, '/').replace(/~0/g, '~')}`))
    .join('');
}

const article = (t: string) => (/^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`);

export function describeValidation(v: FastifySchemaValidationError | undefined, context: string | undefined): ValidationProblem {
  const ctx = context ?? 'request';
  const where = WHERE[ctx] ?? 'field';
  if (!v) return { code: 'INVALID_REQUEST', message: `invalid ${ctx}`, details: { in: ctx, parameter: null, rule: 'unknown' } };
  const params = v.params as Record<string, unknown>;
  const parent = (v as { parentSchema?: Record<string, unknown> }).parentSchema;
  const data = (v as { data?: unknown }).data;
  const name = paramName(v.instancePath);
  const q = `\`${name ?? ctx}\``;
  let message: string;
  let parameter = name;
  switch (v.keyword) {
    case 'additionalProperties':
      parameter = [name, String(params.additionalProperty)].filter(Boolean).join('.');
      message = `unknown ${where} \`${parameter}\``;
      break;
    case 'required':
      parameter = [name, String(params.missingProperty)].filter(Boolean).join('.');
      message = `missing required ${where} \`${parameter}\``;
      break;
    case 'maximum':
      message = `${q} must be ≤ ${String(params.limit)}`;
      break;
    case 'minimum':
      message = `${q} must be ≥ ${String(params.limit)}`;
      break;
    case 'exclusiveMaximum':
      message = `${q} must be < ${String(params.limit)}`;
      break;
    case 'exclusiveMinimum':
      message = `${q} must be > ${String(params.limit)}`;
      break;
    case 'type':
      message = ctx === 'querystring' && Array.isArray(data) && params.type !== 'array'
        ? `${q} must be given once (${article(String(params.type))}), not ${data.length} times`
        : `${q} must be ${article(String(params.type))}`;
      break;
    case 'maxLength':
      message = `${q} must be at most ${String(params.limit)} characters`;
      break;
    case 'minLength':
      message = `${q} must be at least ${String(params.limit)} character${params.limit === 1 ? '' : 's'}`;
      break;
    case 'maxItems':
      message = `${q} must have at most ${String(params.limit)} items`;
      break;
    case 'enum':
      message = `${q} must be one of ${(params.allowedValues as unknown[]).map(String).join(', ')}`;
      break;
    case 'pattern': {
      const what = typeof parent?.description === 'string' ? parent.description : `a string matching ${String(params.pattern)}`;
      message = `${q} must be ${what}`;
      break;
    }
    case 'format':
      message = `${q} must be ${article(String(params.format))}`;
      break;
    default:
      message = `${q} ${v.message ?? 'is invalid'}`;
  }
  const code = typeof parent?.['x-error-code'] === 'string' && v.keyword !== 'additionalProperties' && v.keyword !== 'required' ? parent['x-error-code'] : 'INVALID_REQUEST';
  return { code, message, details: { in: ctx, parameter, rule: v.keyword } };
}
