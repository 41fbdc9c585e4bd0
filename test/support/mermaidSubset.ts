/**
 * A strict checker of the Mermaid flowchart subset the plan emits (no Mermaid parser runs under
 * Node without a browser DOM): a `flowchart` header with a direction; `subgraph id["label"]` …
 * `end` blocks, properly nested; node definitions `id["label"]`; edges `a --> b` / `a -.-> b`
 * between defined nodes; `classDef`, `class` and `linkStyle` lines referring to what exists.
 * Returns the problems found (empty: valid).
 */
export function checkMermaidFlowchart(text: string): string[] {
  const problems: string[] = [];
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  const ID = "[A-Za-z_][A-Za-z0-9_]*";
  const LABEL = '"[^"<>]*"';
  if (!/^flowchart (TB|TD|BT|RL|LR)$/.test(lines[0] ?? "")) problems.push(`line 1: expected "flowchart <direction>", got ${JSON.stringify(lines[0])}`);
  const nodes = new Set<string>();
  const subgraphs = new Set<string>();
  const classes = new Set<string>();
  let depth = 0;
  let edges = 0;
  const pending: { line: number; kind: string; refs: string[] }[] = [];
  lines.slice(1).forEach((raw, i) => {
    const n = i + 2;
    const line = raw.trim();
    let m: RegExpExecArray | null;
    if ((m = new RegExp(`^subgraph (${ID})\\[${LABEL}\\]$`).exec(line))) {
      if (subgraphs.has(m[1]!)) problems.push(`line ${n}: subgraph ${m[1]} defined twice`);
      subgraphs.add(m[1]!);
      depth++;
    } else if (line === "end") {
      if (--depth < 0) problems.push(`line ${n}: "end" without subgraph`);
    } else if ((m = new RegExp(`^(${ID})\\[${LABEL}\\]$`).exec(line))) {
      if (nodes.has(m[1]!)) problems.push(`line ${n}: node ${m[1]} defined twice`);
      nodes.add(m[1]!);
    } else if ((m = new RegExp(`^(${ID}) (-->|-\\.->) (${ID})$`).exec(line))) {
      pending.push({ line: n, kind: "edge", refs: [m[1]!, m[3]!] });
      edges++;
    } else if ((m = new RegExp(`^classDef (${ID}) [a-z-]+:[^\\s;]+(,[a-z-]+:[^\\s;]+)*$`).exec(line))) {
      classes.add(m[1]!);
    } else if ((m = new RegExp(`^class (${ID}(,${ID})*) (${ID})$`).exec(line))) {
      pending.push({ line: n, kind: "class", refs: m[1]!.split(",") });
      if (!classes.has(m[3]!)) problems.push(`line ${n}: class ${m[3]} is not defined`);
    } else if ((m = /^linkStyle (\d+(,\d+)*) [a-z-]+:[^\s;]+(,[a-z-]+:[^\s;]+)*$/.exec(line))) {
      pending.push({ line: n, kind: "linkStyle", refs: m[1]!.split(",") });
    } else {
      problems.push(`line ${n}: not in the emitted subset: ${JSON.stringify(line)}`);
    }
  });
  if (depth !== 0) problems.push(`${depth} subgraph(s) not closed`);
  for (const p of pending) {
    if (p.kind === "linkStyle") {
      for (const r of p.refs) if (Number(r) >= edges) problems.push(`line ${p.line}: linkStyle ${r} but only ${edges} edges`);
    } else {
      for (const r of p.refs) if (!nodes.has(r)) problems.push(`line ${p.line}: ${p.kind} refers to undefined node ${r}`);
    }
  }
  return problems;
}
