// A small Dockerfile reader for tests: enough of the syntax to check which stages exist and what
// each instruction does. Handles comments, parser directives, "\" continuations, and JSON
// (exec) versus shell forms. Not a full BuildKit parser (no heredocs, no ARG expansion).

export interface DockerInstruction {
  keyword: string; // upper-cased: FROM, COPY, RUN ...
  args: string; // raw text after the keyword, continuations joined with a space
  line: number; // 1-based line the instruction starts on
}

export interface DockerStage {
  index: number;
  image: string;
  name: string | undefined;
  instructions: DockerInstruction[];
}

export interface DockerCopy {
  from: string | undefined;
  flags: Record<string, string>;
  sources: string[];
  dest: string;
}

export function parseDockerfile(text: string): DockerStage[] {
  const instructions: DockerInstruction[] = [];
  let pending: { parts: string[]; line: number } | undefined;
  text.split(/\r?\n/).forEach((raw, i) => {
    const trimmed = raw.trim();
    if (!pending && (trimmed === '' || trimmed.startsWith('#'))) return;
    if (pending && trimmed.startsWith('#')) return; // comment lines inside a continuation are dropped
    const continued = /\\\s*$/.test(raw);
    const body = continued ? raw.replace(/\\\s*$/, '') : raw;
    pending ??= { parts: [], line: i + 1 };
    pending.parts.push(body.trim());
    if (!continued) {
      const full = pending.parts.filter(Boolean).join(' ');
      const m = /^(\S+)\s*(.*)$/s.exec(full);
      if (!m) throw new Error(`Dockerfile line ${pending.line}: cannot parse ${JSON.stringify(full)}`);
      instructions.push({ keyword: (m[1] as string).toUpperCase(), args: m[2] as string, line: pending.line });
      pending = undefined;
    }
  });
  if (pending) throw new Error(`Dockerfile line ${pending.line}: continuation runs past the end of the file`);

  const stages: DockerStage[] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      const m = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?\s*$/i.exec(ins.args);
      if (!m) throw new Error(`Dockerfile line ${ins.line}: bad FROM ${JSON.stringify(ins.args)}`);
      stages.push({ index: stages.length, image: m[1] as string, name: m[2], instructions: [] });
      continue;
    }
    const stage = stages.at(-1);
    if (!stage) {
      if (ins.keyword === 'ARG') continue; // ARG before the first FROM is allowed
      throw new Error(`Dockerfile line ${ins.line}: ${ins.keyword} before FROM`);
    }
    stage.instructions.push(ins);
  }
  return stages;
}

/** Exec form (JSON array) → the array; shell form → undefined. */
export function execForm(args: string): string[] | undefined {
  if (!args.trimStart().startsWith('[')) return undefined;
  const parsed: unknown = JSON.parse(args);
  if (!Array.isArray(parsed) || !parsed.every((x) => typeof x === 'string')) throw new Error(`not a JSON string array: ${args}`);
  return parsed;
}

/** Splits shell-form args on whitespace; quoted parts ("a b", 'a b') stay in one word, unquoted. */
function words(args: string): string[] {
  return [...args.matchAll(/(?:"[^"]*"|'[^']*'|[^\s"'])+/g)].map((m) => m[0].replace(/"([^"]*)"|'([^']*)'/g, '$1$2'));
}

export function parseCopy(ins: DockerInstruction): DockerCopy {
  const flags: Record<string, string> = {};
  let rest = ins.args;
  for (let m = /^--([\w-]+)(?:=(\S*))?\s+/.exec(rest); m; m = /^--([\w-]+)(?:=(\S*))?\s+/.exec(rest)) {
    flags[m[1] as string] = m[2] ?? 'true';
    rest = rest.slice(m[0].length);
  }
  const all = execForm(rest) ?? words(rest);
  if (all.length < 2) throw new Error(`Dockerfile line ${ins.line}: ${ins.keyword} needs a source and a destination`);
  return { from: flags.from, flags, sources: all.slice(0, -1), dest: all.at(-1) as string };
}

/** ENV key=value pairs (also the legacy "ENV key value" form). */
export function parseEnv(ins: DockerInstruction): Record<string, string> {
  const out: Record<string, string> = {};
  const ws = words(ins.args);
  if (ws.length >= 1 && !(ws[0] as string).includes('=')) {
    out[ws[0] as string] = ins.args.trim().slice((ws[0] as string).length).trim();
    return out;
  }
  for (const w of ws) {
    const eq = w.indexOf('=');
    if (eq <= 0) throw new Error(`Dockerfile line ${ins.line}: bad ENV entry ${JSON.stringify(w)}`);
    out[w.slice(0, eq)] = w.slice(eq + 1);
  }
  return out;
}
