// A small reader for prisma/schema.prisma: enough of the language to compare the data model with
// a migrated database (the schema engine, which would do this with `prisma migrate diff`, cannot
// run here). Handles models, enums, field modifiers (? and []), field attributes (@id, @unique,
// @map, @default, @db.*, @relation, @updatedAt, @ignore) and block attributes (@@map, @@id,
// @@unique, @@index, @@ignore). Comments are dropped. Anything it does not understand throws,
// so a schema feature added later fails the drift test loudly instead of being skipped.

export type AttrValue =
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'ident'; value: string }
  | { kind: 'call'; name: string; args: AttrArg[] }
  | { kind: 'array'; items: AttrValue[] };

export interface AttrArg {
  key: string | undefined;
  value: AttrValue;
}

export interface Attribute {
  /** Without the @ or @@: "id", "unique", "db.Timestamptz", "index" ... */
  name: string;
  args: AttrArg[];
}

export interface PrismaField {
  name: string;
  type: string;
  optional: boolean;
  list: boolean;
  attributes: Attribute[];
  line: number;
}

export interface PrismaModel {
  name: string;
  fields: PrismaField[];
  attributes: Attribute[];
  line: number;
}

export interface PrismaEnum {
  name: string;
  values: { name: string; dbName: string }[];
  dbName: string;
}

export interface PrismaSchema {
  models: PrismaModel[];
  enums: PrismaEnum[];
  datasourceProvider: string | undefined;
}

/** Removes // comments (/// doc comments too) outside string literals. */
function stripComment(line: string): string {
  let inString = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '/' && line[i + 1] === '/') return line.slice(0, i);
  }
  return line;
}

class Cursor {
  i = 0;
  constructor(readonly s: string, readonly where: string) {}
  ws() {
    while (this.i < this.s.length && /\s/.test(this.s[this.i] as string)) this.i++;
  }
  peek() {
    this.ws();
    return this.s[this.i];
  }
  eof() {
    this.ws();
    return this.i >= this.s.length;
  }
  expect(ch: string) {
    this.ws();
    if (this.s[this.i] !== ch) this.fail(`expected "${ch}"`);
    this.i++;
  }
  ident(): string {
    this.ws();
    const m = /^[A-Za-z_][\w.]*/.exec(this.s.slice(this.i));
    if (!m) this.fail('expected a name');
    this.i += m[0].length;
    return m[0];
  }
  fail(msg: string): never {
    throw new Error(`schema.prisma ${this.where}: ${msg} at "${this.s.slice(this.i, this.i + 30)}"`);
  }
}

function parseValue(c: Cursor): AttrValue {
  const ch = c.peek();
  if (ch === '"') {
    let out = '';
    c.i++;
    for (;;) {
      const x = c.s[c.i++];
      if (x === undefined) c.fail('unterminated string');
      if (x === '"') break;
      if (x === '\\') {
        const e = c.s[c.i++];
        out += e === 'n' ? '\n' : e === 't' ? '\t' : (e ?? '');
      } else out += x;
    }
    return { kind: 'string', value: out };
  }
  if (ch === '[') {
    c.i++;
    const items: AttrValue[] = [];
    while (c.peek() !== ']') {
      items.push(parseValue(c));
      if (c.peek() === ',') c.i++;
      else if (c.peek() !== ']') c.fail('expected "," or "]"');
    }
    c.i++;
    return { kind: 'array', items };
  }
  if (ch !== undefined && /[-\d]/.test(ch)) {
    const m = /^-?\d+(?:\.\d+)?/.exec(c.s.slice(c.i));
    if (!m) c.fail('bad number');
    c.i += m[0].length;
    return { kind: 'number', value: Number(m[0]) };
  }
  const name = c.ident();
  if (c.peek() === '(') return { kind: 'call', name, args: parseArgs(c) };
  return { kind: 'ident', value: name };
}

/** "(a, key: b, ...)" → args. The cursor sits on the "(". */
function parseArgs(c: Cursor): AttrArg[] {
  c.expect('(');
  const args: AttrArg[] = [];
  while (c.peek() !== ')') {
    const save = c.i;
    let key: string | undefined;
    const m = /^\s*([A-Za-z_]\w*)\s*:/.exec(c.s.slice(c.i));
    if (m) {
      key = m[1];
      c.i += m[0].length;
    } else c.i = save;
    args.push({ key, value: parseValue(c) });
    if (c.peek() === ',') c.i++;
    else if (c.peek() !== ')') c.fail('expected "," or ")"');
  }
  c.i++;
  return args;
}

function parseAttributes(c: Cursor, prefix: '@' | '@@'): Attribute[] {
  const out: Attribute[] = [];
  while (!c.eof()) {
    if (!c.s.startsWith(prefix, c.i) || (prefix === '@' && c.s.startsWith('@@', c.i))) c.fail(`expected an ${prefix} attribute`);
    c.i += prefix.length;
    const name = c.ident();
    const args = c.s[c.i] === '(' ? parseArgs(c) : [];
    out.push({ name, args });
  }
  return out;
}

/** Joins lines while brackets are open, so an attribute may span lines. */
function logicalLines(body: { text: string; line: number }[]): { text: string; line: number }[] {
  const out: { text: string; line: number }[] = [];
  let pending: { text: string; line: number } | undefined;
  const depth = (s: string) => {
    let d = 0;
    let inString = false;
    for (let i = 0; i < s.length; i++) {
      const ch = s[i];
      if (inString) {
        if (ch === '\\') i++;
        else if (ch === '"') inString = false;
      } else if (ch === '"') inString = true;
      else if (ch === '(' || ch === '[') d++;
      else if (ch === ')' || ch === ']') d--;
    }
    return d;
  };
  for (const l of body) {
    pending = pending ? { text: `${pending.text} ${l.text}`, line: pending.line } : { ...l };
    if (depth(pending.text) <= 0) {
      if (pending.text.trim()) out.push({ text: pending.text.trim(), line: pending.line });
      pending = undefined;
    }
  }
  if (pending) throw new Error(`schema.prisma line ${pending.line}: unbalanced brackets`);
  return out;
}

export function parsePrismaSchema(text: string): PrismaSchema {
  const lines = text.split(/\r?\n/).map((l, i) => ({ text: stripComment(l), line: i + 1 }));
  const schema: PrismaSchema = { models: [], enums: [], datasourceProvider: undefined };
  for (let i = 0; i < lines.length; i++) {
    const head = (lines[i] as { text: string }).text.trim();
    if (!head) continue;
    const m = /^(model|enum|view|type|generator|datasource)\s+(\w+)\s*\{$/.exec(head);
    if (!m) throw new Error(`schema.prisma line ${i + 1}: unexpected "${head}"`);
    const [, kind, name] = m as unknown as [string, string, string];
    const body: { text: string; line: number }[] = [];
    let j = i + 1;
    for (; j < lines.length && (lines[j] as { text: string }).text.trim() !== '}'; j++) body.push(lines[j] as { text: string; line: number });
    if (j >= lines.length) throw new Error(`schema.prisma line ${i + 1}: block ${name} is not closed`);
    const block = logicalLines(body);
    if (kind === 'model') schema.models.push(parseModel(name, block, i + 1));
    else if (kind === 'enum') schema.enums.push(parseEnum(name, block));
    else if (kind === 'datasource') {
      for (const l of block) {
        const p = /^provider\s*=\s*"([^"]+)"$/.exec(l.text);
        if (p) schema.datasourceProvider = p[1];
      }
    } else if (kind === 'view' || kind === 'type') {
      throw new Error(`schema.prisma line ${i + 1}: "${kind}" blocks are not handled by this reader; extend test/support/prisma-schema.ts`);
    }
    i = j;
  }
  return schema;
}

function parseModel(name: string, block: { text: string; line: number }[], line: number): PrismaModel {
  const model: PrismaModel = { name, fields: [], attributes: [], line };
  for (const l of block) {
    const c: Cursor = new Cursor(l.text, `line ${l.line}`);
    if (l.text.startsWith('@@')) {
      model.attributes.push(...parseAttributes(c, '@@'));
      continue;
    }
    const fieldName = c.ident();
    c.ws();
    const t = /^([A-Za-z_]\w*(?:\("[^"]*"\))?)(\[\])?(\?)?/.exec(c.s.slice(c.i));
    if (!t) c.fail('expected a field type');
    c.i += t[0].length;
    model.fields.push({ name: fieldName, type: t[1] as string, list: !!t[2], optional: !!t[3], attributes: parseAttributes(c, '@'), line: l.line });
  }
  return model;
}

function parseEnum(name: string, block: { text: string; line: number }[]): PrismaEnum {
  const e: PrismaEnum = { name, values: [], dbName: name };
  for (const l of block) {
    const c: Cursor = new Cursor(l.text, `line ${l.line}`);
    if (l.text.startsWith('@@')) {
      for (const a of parseAttributes(c, '@@')) if (a.name === 'map') e.dbName = stringArg(a);
      continue;
    }
    const value = c.ident();
    let dbName = value;
    for (const a of parseAttributes(c, '@')) if (a.name === 'map') dbName = stringArg(a);
    e.values.push({ name: value, dbName });
  }
  return e;
}

// ---------------------------------------------------------------------------------------------
// Attribute helpers

export function attr(attrs: readonly Attribute[], name: string): Attribute | undefined {
  return attrs.find((a) => a.name === name);
}

export function attrsNamed(attrs: readonly Attribute[], name: string): Attribute[] {
  return attrs.filter((a) => a.name === name);
}

/** The argument by key, else (for `positional` 0) the first positional one. */
export function arg(a: Attribute, key: string, positional = -1): AttrValue | undefined {
  const byKey = a.args.find((x) => x.key === key);
  if (byKey) return byKey.value;
  if (positional < 0) return undefined;
  return a.args.filter((x) => x.key === undefined)[positional]?.value;
}

export function stringArg(a: Attribute, key = 'name', positional = 0): string {
  const v = arg(a, key, positional);
  if (v?.kind !== 'string') throw new Error(`@${a.name}: expected a string argument`);
  return v.value;
}

/** `[a, b(sort: Desc)]` → [{ name: 'a' }, { name: 'b', sort: 'Desc' }]. */
export function fieldList(v: AttrValue | undefined, what: string): { name: string; sort: 'Asc' | 'Desc' }[] {
  if (v?.kind !== 'array') throw new Error(`${what}: expected a field list`);
  return v.items.map((it) => {
    if (it.kind === 'ident') return { name: it.value, sort: 'Asc' as const };
    if (it.kind === 'call') {
      for (const a of it.args) {
        if (a.key !== 'sort' && a.key !== 'ops' && a.key !== 'length') throw new Error(`${what}: unsupported index field argument ${a.key ?? '(positional)'}`);
        if (a.key !== 'sort') throw new Error(`${what}: index field argument "${a.key}" is not handled by this reader`);
      }
      const sort = it.args.find((a) => a.key === 'sort')?.value;
      return { name: it.name, sort: sort?.kind === 'ident' && sort.value === 'Desc' ? 'Desc' as const : 'Asc' as const };
    }
    throw new Error(`${what}: unexpected field list entry`);
  });
}
