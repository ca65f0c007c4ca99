// What prisma/schema.prisma says the database should look like, what a database actually looks
// like (read from the Postgres catalogs, so it works on PGlite too), and the differences between
// the two as a list of readable problems. Prisma's own conventions for PostgreSQL are encoded
// here: default native types, constraint names, SERIAL for autoincrement, nullable list columns,
// default referential actions.
import {
  arg, attr, attrsNamed, fieldList, stringArg, type Attribute, type AttrValue, type PrismaField, type PrismaModel, type PrismaSchema,
} from './prisma-schema.ts';

export interface ColumnShape {
  /** format_type() spelling: "timestamp(3) with time zone", "text[]", "integer" ... */
  type: string;
  nullable: boolean;
  /** Normalised default (see normaliseDefault), null when none. */
  default: string | null;
}

export interface IndexShape {
  unique: boolean;
  primary: boolean;
  method: string;
  /** Column names in key order, " DESC" appended for descending keys. */
  columns: string[];
  partial: boolean;
}

export interface ForeignKeyShape {
  columns: string[];
  refTable: string;
  refColumns: string[];
  onDelete: string;
  onUpdate: string;
}

export interface TableShape {
  columns: Record<string, ColumnShape>;
  indexes: Record<string, IndexShape>;
  /** Constraints other than foreign keys: name → contype (p primary, u unique, c check, x exclusion). */
  constraints: Record<string, string>;
  foreignKeys: Record<string, ForeignKeyShape>;
}

export interface CatalogShape {
  tables: Record<string, TableShape>;
  /** Relations that are not plain tables (views, materialized views, foreign tables): name → relkind. */
  otherRelations: Record<string, string>;
  enums: Record<string, string[]>;
}

/** Column types whose check is "some type exists"; set for Unsupported("...") fields. */
export const ANY_TYPE = '*';
/** A default that must exist but whose text is not compared (dbgenerated, non-empty lists). */
export const ANY_DEFAULT = '*';

const PG_IDENTIFIER_MAX = 63;
const SCALARS = new Set(['String', 'Int', 'BigInt', 'Float', 'Decimal', 'Boolean', 'DateTime', 'Json', 'Bytes']);

// ---------------------------------------------------------------------------------------------
// Expected shape from the Prisma schema

const columnName = (f: PrismaField) => {
  const m = attr(f.attributes, 'map');
  return m ? stringArg(m) : f.name;
};
export const tableName = (m: PrismaModel) => {
  const a = attr(m.attributes, 'map');
  return a ? stringArg(a) : m.name;
};

/** Prisma's default constraint/index name: table_cols_suffix, cut to Postgres' 63 bytes. */
function defaultName(table: string, columns: string[], suffix: string): string {
  const base = columns.length ? `${table}_${columns.join('_')}` : table;
  const max = PG_IDENTIFIER_MAX - suffix.length - 1;
  return `${base.length > max ? base.slice(0, max) : base}_${suffix}`;
}

const mapArg = (a: Attribute): string | undefined => {
  const v = arg(a, 'map');
  return v?.kind === 'string' ? v.value : undefined;
};

function nativeType(f: PrismaField, s: PrismaSchema): string {
  const db = f.attributes.find((a) => a.name.startsWith('db.'));
  const n = db?.name.slice(3);
  const nums = (db?.args ?? []).map((a) => (a.value.kind === 'number' ? a.value.value : NaN));
  const p = (def = '') => (nums.length ? `(${nums.join(',')})` : def);
  const enumDef = s.enums.find((e) => e.name === f.type);
  if (enumDef) return quoteIdent(enumDef.dbName);
  if (f.type.startsWith('Unsupported(')) return ANY_TYPE;
  switch (f.type) {
    case 'String':
      switch (n) {
        case undefined: case 'Text': return 'text';
        case 'VarChar': return `character varying${p()}`;
        case 'Char': return `character${p('(1)')}`;
        case 'Uuid': return 'uuid';
        case 'Xml': return 'xml';
        case 'Inet': return 'inet';
        case 'Citext': return 'citext';
        case 'Bit': return `bit${p('(1)')}`;
        case 'VarBit': return `bit varying${p()}`;
      }
      break;
    case 'Int':
      switch (n) {
        case undefined: case 'Integer': return 'integer';
        case 'SmallInt': return 'smallint';
        case 'Oid': return 'oid';
      }
      break;
    case 'BigInt':
      if (n === undefined || n === 'BigInt') return 'bigint';
      break;
    case 'Float':
      if (n === undefined || n === 'DoublePrecision') return 'double precision';
      if (n === 'Real') return 'real';
      break;
    case 'Decimal':
      if (n === undefined) return 'numeric(65,30)';
      if (n === 'Decimal') return `numeric${p()}`;
      if (n === 'Money') return 'money';
      break;
    case 'Boolean':
      if (n === undefined || n === 'Boolean') return 'boolean';
      break;
    case 'DateTime':
      switch (n) {
        case undefined: return 'timestamp(3) without time zone';
        case 'Timestamp': return nums.length ? `timestamp${p()} without time zone` : 'timestamp without time zone';
        case 'Timestamptz': return nums.length ? `timestamp${p()} with time zone` : 'timestamp with time zone';
        case 'Date': return 'date';
        case 'Time': return nums.length ? `time${p()} without time zone` : 'time without time zone';
        case 'Timetz': return nums.length ? `time${p()} with time zone` : 'time with time zone';
      }
      break;
    case 'Json':
      if (n === undefined || n === 'JsonB') return 'jsonb';
      if (n === 'Json') return 'json';
      break;
    case 'Bytes':
      if (n === undefined || n === 'ByteA') return 'bytea';
      break;
  }
  throw new Error(`${f.name}: no Postgres type known for ${f.type}${n ? ` @db.${n}` : ''}; extend test/support/schema-drift.ts`);
}

const quoteIdent = (s: string) => (/^[a-z_][a-z0-9_$]*$/.test(s) ? s : `"${s.replaceAll('"', '""')}"`);

function expectedDefault(f: PrismaField, s: PrismaSchema): string | null {
  const d = attr(f.attributes, 'default');
  if (!d) return null;
  const v = arg(d, 'value', 0);
  if (!v) throw new Error(`${f.name}: @default without a value`);
  const lit = (x: AttrValue): string => {
    switch (x.kind) {
      case 'string': return x.value;
      case 'number': return String(x.value);
      case 'ident': {
        const e = s.enums.find((en) => en.name === f.type);
        return e ? (e.values.find((ev) => ev.name === x.value)?.dbName ?? x.value) : x.value;
      }
      default: throw new Error(`${f.name}: unsupported default ${JSON.stringify(x)}`);
    }
  };
  if (v.kind === 'call') {
    switch (v.name) {
      case 'autoincrement': return 'nextval()';
      case 'now': return 'CURRENT_TIMESTAMP';
      case 'dbgenerated': return ANY_DEFAULT;
      // Generated by the client, not the database.
      case 'uuid': case 'cuid': case 'nanoid': case 'ulid': return null;
      default: throw new Error(`${f.name}: unsupported default function ${v.name}()`);
    }
  }
  if (v.kind === 'array') return v.items.length === 0 ? 'ARRAY[]' : ANY_DEFAULT;
  return lit(v);
}

/**
 * Reduces a Postgres default expression to a comparable token: casts and quotes dropped,
 * sequence defaults collapsed to "nextval()".
 */
export function normaliseDefault(expr: string | null): string | null {
  if (expr === null) return null;
  let e = expr.trim();
  if (/^nextval\(/i.test(e)) return 'nextval()';
  if (/^(now\(\)|CURRENT_TIMESTAMP)$/i.test(e)) return 'CURRENT_TIMESTAMP';
  for (let prev = ''; prev !== e;) {
    prev = e;
    e = e.replace(/::(?:"[^"]+"|[\w ]+)(?:\(\d+(?:,\d+)?\))?(?:\[\])*$/, '').trim();
    if (/^\(.*\)$/s.test(e)) e = e.slice(1, -1).trim();
  }
  const q = /^'((?:[^']|'')*)'$/s.exec(e);
  return q ? (q[1] as string).replaceAll("''", "'") : e;
}

const ACTIONS: Record<string, string> = { Cascade: 'c', Restrict: 'r', NoAction: 'a', SetNull: 'n', SetDefault: 'd' };

export function expectedCatalog(s: PrismaSchema): CatalogShape {
  if (s.datasourceProvider !== undefined && s.datasourceProvider !== 'postgresql') throw new Error(`datasource provider is ${s.datasourceProvider}, not postgresql`);
  const byName = new Map(s.models.map((m) => [m.name, m]));
  const out: CatalogShape = { tables: {}, otherRelations: {}, enums: {} };
  for (const e of s.enums) out.enums[e.dbName] = e.values.map((v) => v.dbName);

  for (const m of s.models) {
    const table = tableName(m);
    const t: TableShape = { columns: {}, indexes: {}, constraints: {}, foreignKeys: {} };
    const col = (fieldName: string) => {
      const f = m.fields.find((x) => x.name === fieldName);
      if (!f) throw new Error(`${m.name}: attribute names unknown field ${fieldName}`);
      return columnName(f);
    };
    const addIndex = (name: string, shape: IndexShape) => {
      if (t.indexes[name]) throw new Error(`${m.name}: two indexes named ${name}`);
      t.indexes[name] = shape;
    };

    for (const f of m.fields) {
      const related = byName.get(f.type);
      if (related) {
        const rel = attr(f.attributes, 'relation');
        const fields = rel ? arg(rel, 'fields') : undefined;
        if (!rel || !fields) {
          // Back-relation side; an implicit many-to-many would need a join table.
          const other = related.fields.find((o) => o.type === m.name && o !== f);
          if (f.list && other?.list) throw new Error(`${m.name}.${f.name}: implicit many-to-many relations are not handled; extend test/support/schema-drift.ts`);
          continue;
        }
        const cols = fieldList(fields, `${m.name}.${f.name} fields`).map((x) => col(x.name));
        const refCols = fieldList(arg(rel, 'references'), `${m.name}.${f.name} references`).map((x) => {
          const rf = related.fields.find((y) => y.name === x.name);
          if (!rf) throw new Error(`${m.name}.${f.name}: references unknown field ${related.name}.${x.name}`);
          return columnName(rf);
        });
        const fkFields = fieldList(fields, '').map((x) => m.fields.find((y) => y.name === x.name) as PrismaField);
        const optional = fkFields.some((x) => x.optional);
        const action = (key: string, dflt: string) => {
          const v = arg(rel, key);
          if (v === undefined) return ACTIONS[dflt] as string;
          if (v.kind !== 'ident' || !ACTIONS[v.value]) throw new Error(`${m.name}.${f.name}: unknown ${key} ${JSON.stringify(v)}`);
          return ACTIONS[v.value] as string;
        };
        t.foreignKeys[mapArg(rel) ?? defaultName(table, cols, 'fkey')] = {
          columns: cols, refTable: tableName(related), refColumns: refCols,
          onDelete: action('onDelete', optional ? 'SetNull' : 'Restrict'), onUpdate: action('onUpdate', 'Cascade'),
        };
        continue;
      }
      if (!SCALARS.has(f.type) && !s.enums.some((e) => e.name === f.type) && !f.type.startsWith('Unsupported(')) {
        throw new Error(`${m.name}.${f.name}: unknown type ${f.type}`);
      }
      const type = nativeType(f, s);
      t.columns[columnName(f)] = {
        type: type === ANY_TYPE ? ANY_TYPE : f.list ? `${type}[]` : type,
        // Prisma creates scalar-list columns without NOT NULL.
        nullable: f.optional || f.list,
        default: expectedDefault(f, s),
      };
      const id = attr(f.attributes, 'id');
      if (id) {
        const name = mapArg(id) ?? `${table}_pkey`;
        addIndex(name, { unique: true, primary: true, method: 'btree', columns: [columnName(f)], partial: false });
        t.constraints[name] = 'p';
      }
      const u = attr(f.attributes, 'unique');
      if (u) addIndex(mapArg(u) ?? defaultName(table, [columnName(f)], 'key'), { unique: true, primary: false, method: 'btree', columns: [columnName(f)], partial: false });
    }

    for (const a of m.attributes) {
      const keyCols = () => fieldList(arg(a, 'fields', 0), `${m.name} @@${a.name}`).map((x) => `${col(x.name)}${x.sort === 'Desc' ? ' DESC' : ''}`);
      const plain = (cs: string[]) => cs.map((c) => c.replace(/ DESC$/, ''));
      switch (a.name) {
        case 'map': case 'ignore': case 'schema': break;
        case 'id': {
          const cs = keyCols();
          const name = mapArg(a) ?? `${table}_pkey`;
          addIndex(name, { unique: true, primary: true, method: 'btree', columns: cs, partial: false });
          t.constraints[name] = 'p';
          break;
        }
        case 'unique': {
          const cs = keyCols();
          addIndex(mapArg(a) ?? defaultName(table, plain(cs), 'key'), { unique: true, primary: false, method: 'btree', columns: cs, partial: false });
          break;
        }
        case 'index': {
          const cs = keyCols();
          const type = arg(a, 'type');
          const method = type?.kind === 'ident' ? type.value.toLowerCase() : 'btree';
          addIndex(mapArg(a) ?? defaultName(table, plain(cs), 'idx'), { unique: false, primary: false, method, columns: cs, partial: false });
          break;
        }
        case 'fulltext':
        default:
          throw new Error(`${m.name}: block attribute @@${a.name} is not handled; extend test/support/schema-drift.ts`);
      }
    }
    if (!Object.values(t.constraints).includes('p') && !attrsNamed(m.attributes, 'ignore').length) {
      throw new Error(`${m.name}: no @id or @@id`);
    }
    if (out.tables[table]) throw new Error(`two models map to table ${table}`);
    out.tables[table] = t;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Actual shape from the catalogs

export type Query = <T>(sql: string) => Promise<T[]>;

export async function introspectCatalog(query: Query, schema = 'public'): Promise<CatalogShape> {
  const lit = `'${schema.replaceAll("'", "''")}'`;
  const out: CatalogShape = { tables: {}, otherRelations: {}, enums: {} };
  const relations = await query<{ name: string; kind: string }>(`
    SELECT c.relname::text AS name, c.relkind::text AS kind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = ${lit} AND c.relkind IN ('r', 'p', 'v', 'm', 'f')`);
  for (const r of relations) {
    if (r.kind === 'r' || r.kind === 'p') out.tables[r.name] = { columns: {}, indexes: {}, constraints: {}, foreignKeys: {} };
    else out.otherRelations[r.name] = r.kind;
  }
  const table = (name: string) => {
    const t = out.tables[name];
    if (!t) throw new Error(`catalog row for unknown table ${name}`);
    return t;
  };
  const columns = await query<{ table: string; column: string; type: string; nullable: boolean; default: string | null }>(`
    SELECT c.relname::text AS table, a.attname::text AS column, format_type(a.atttypid, a.atttypmod) AS type,
           NOT a.attnotnull AS nullable, pg_get_expr(d.adbin, d.adrelid) AS default
    FROM pg_attribute a
    JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE n.nspname = ${lit} AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped`);
  for (const c of columns) table(c.table).columns[c.column] = { type: c.type, nullable: c.nullable, default: normaliseDefault(c.default) };

  const indexes = await query<{ table: string; name: string; unique: boolean; primary: boolean; method: string; partial: boolean; expr: boolean; columns: string[] }>(`
    SELECT t.relname::text AS table, i.relname::text AS name, x.indisunique AS unique, x.indisprimary AS primary,
           am.amname::text AS method, x.indpred IS NOT NULL AS partial, x.indexprs IS NOT NULL AS expr,
           ARRAY(
             SELECT a.attname::text || CASE WHEN (x.indoption[k.ord - 1] & 1) = 1 THEN ' DESC' ELSE '' END
             FROM unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
             JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
             WHERE k.ord <= x.indnkeyatts ORDER BY k.ord
           ) AS columns
    FROM pg_index x
    JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
    JOIN pg_namespace n ON n.oid = t.relnamespace JOIN pg_am am ON am.oid = i.relam
    WHERE n.nspname = ${lit}`);
  for (const i of indexes) {
    table(i.table).indexes[i.name] = {
      unique: i.unique, primary: i.primary, method: i.method, partial: i.partial,
      columns: i.expr ? [...i.columns, '(expression)'] : i.columns,
    };
  }

  const constraints = await query<{ table: string; name: string; type: string; ref_table: string | null; on_delete: string; on_update: string; columns: string[]; ref_columns: string[] }>(`
    SELECT t.relname::text AS table, c.conname::text AS name, c.contype::text AS type, rt.relname::text AS ref_table,
           c.confdeltype::text AS on_delete, c.confupdtype::text AS on_update,
           ARRAY(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY AS k(attnum, ord)
                 JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum ORDER BY k.ord) AS columns,
           ARRAY(SELECT a.attname::text FROM unnest(c.confkey) WITH ORDINALITY AS k(attnum, ord)
                 JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum ORDER BY k.ord) AS ref_columns
    FROM pg_constraint c
    JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace
    LEFT JOIN pg_class rt ON rt.oid = c.confrelid
    WHERE n.nspname = ${lit} AND c.contype NOT IN ('n', 't')`);
  // contype t: constraint triggers (the data-generation triggers) are behaviour, like functions;
  // Prisma has no attribute for them, so schema.prisma cannot mention them.
  for (const c of constraints) {
    const t = table(c.table);
    if (c.type === 'f') t.foreignKeys[c.name] = { columns: c.columns, refTable: c.ref_table ?? '?', refColumns: c.ref_columns, onDelete: c.on_delete, onUpdate: c.on_update };
    else t.constraints[c.name] = c.type;
  }

  const enums = await query<{ name: string; labels: string[] }>(`
    SELECT t.typname::text AS name, array_agg(e.enumlabel::text ORDER BY e.enumsortorder) AS labels
    FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace
    WHERE n.nspname = ${lit} GROUP BY t.typname`);
  for (const e of enums) out.enums[e.name] = e.labels;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Differences

/** JSON with sorted keys, so shapes compare regardless of property order. */
const show = (x: unknown): string => JSON.stringify(x, (_k, v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1))) : v));

/**
 * Every difference between the expected and the actual catalog, one readable line each. Tables in
 * `ignoreTables` (bookkeeping such as _prisma_migrations) are not compared.
 */
export function diffCatalogs(expected: CatalogShape, actual: CatalogShape, ignoreTables: readonly string[] = []): string[] {
  const problems: string[] = [];
  for (const name of Object.keys(actual.otherRelations)) problems.push(`extra relation ${name} (relkind ${actual.otherRelations[name]}) not in the schema`);
  for (const name of Object.keys(actual.tables)) {
    if (!expected.tables[name] && !ignoreTables.includes(name)) problems.push(`extra table ${name} not in the schema`);
  }
  for (const [name, labels] of Object.entries(expected.enums)) {
    const got = actual.enums[name];
    if (!got) problems.push(`enum ${name}: missing in the database`);
    else if (show(got) !== show(labels)) problems.push(`enum ${name}: values ${show(got)}, schema says ${show(labels)}`);
  }
  for (const name of Object.keys(actual.enums)) if (!expected.enums[name]) problems.push(`extra enum type ${name} not in the schema`);

  for (const [tname, exp] of Object.entries(expected.tables)) {
    const act = actual.tables[tname];
    if (!act) {
      problems.push(`table ${tname}: missing in the database`);
      continue;
    }
    for (const [cname, ec] of Object.entries(exp.columns)) {
      const ac = act.columns[cname];
      if (!ac) {
        problems.push(`${tname}.${cname}: column missing in the database`);
        continue;
      }
      if (ec.type !== ANY_TYPE && ac.type.replaceAll('"', '') !== ec.type.replaceAll('"', '')) problems.push(`${tname}.${cname}: type ${ac.type}, schema says ${ec.type}`);
      if (ac.nullable !== ec.nullable) problems.push(`${tname}.${cname}: ${ac.nullable ? 'nullable' : 'NOT NULL'} in the database, schema says ${ec.nullable ? 'optional' : 'required'}`);
      if (ec.default === ANY_DEFAULT ? ac.default === null : ac.default !== ec.default) problems.push(`${tname}.${cname}: default ${show(ac.default)}, schema says ${show(ec.default)}`);
    }
    for (const cname of Object.keys(act.columns)) if (!exp.columns[cname]) problems.push(`${tname}.${cname}: extra column not in the schema`);

    for (const [iname, ei] of Object.entries(exp.indexes)) {
      const ai = act.indexes[iname];
      if (!ai) {
        const same = Object.entries(act.indexes).find(([, x]) => show(x) === show(ei));
        problems.push(`${tname}: ${describeIndex(ei)} ${iname} missing${same ? ` (an identical index is named ${same[0]})` : ''}`);
        continue;
      }
      if (show(ai) !== show(ei)) problems.push(`${tname}: index ${iname} is ${describeIndex(ai)}, schema says ${describeIndex(ei)}`);
    }
    for (const [iname, ai] of Object.entries(act.indexes)) if (!exp.indexes[iname]) problems.push(`${tname}: extra ${describeIndex(ai)} ${iname} not in the schema`);

    for (const [cname, type] of Object.entries(exp.constraints)) {
      if (act.constraints[cname] !== type) problems.push(`${tname}: constraint ${cname} (${type}) missing, found ${act.constraints[cname] ?? 'nothing'}`);
    }
    for (const [cname, type] of Object.entries(act.constraints)) if (!exp.constraints[cname]) problems.push(`${tname}: extra constraint ${cname} (contype ${type}) not in the schema`);

    for (const [fname, ef] of Object.entries(exp.foreignKeys)) {
      const af = act.foreignKeys[fname];
      if (!af) problems.push(`${tname}: foreign key ${fname} ${show(ef)} missing`);
      else if (show(af) !== show(ef)) problems.push(`${tname}: foreign key ${fname} is ${show(af)}, schema says ${show(ef)}`);
    }
    for (const fname of Object.keys(act.foreignKeys)) if (!exp.foreignKeys[fname]) problems.push(`${tname}: extra foreign key ${fname} not in the schema`);
  }
  return problems;
}

function describeIndex(i: IndexShape): string {
  const kind = i.primary ? 'primary key' : i.unique ? 'unique index' : 'index';
  return `${kind} ${i.method}(${i.columns.join(', ')})${i.partial ? ' WHERE ...' : ''}`;
}

/** The scalar fields the generated client knows, for cross-checking the schema reader. */
export function schemaFieldSummary(models: readonly PrismaModel[], enums: readonly { name: string }[]): Record<string, { dbName: string | null; fields: { name: string; kind: string; type: string; dbName: string | null }[] }> {
  const modelNames = new Set(models.map((m) => m.name));
  const enumNames = new Set(enums.map((e) => e.name));
  return Object.fromEntries(models.map((m) => {
    const a = attr(m.attributes, 'map');
    return [m.name, {
      dbName: a ? stringArg(a) : null,
      fields: m.fields.map((f) => {
        const mapA = attr(f.attributes, 'map');
        const kind = modelNames.has(f.type) ? 'object' : enumNames.has(f.type) ? 'enum' : f.type.startsWith('Unsupported(') ? 'unsupported' : 'scalar';
        return { name: f.name, kind, type: f.type, dbName: kind === 'object' ? null : mapA ? stringArg(mapA) : null };
      }),
    }];
  }));
}
