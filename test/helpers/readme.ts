import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The README's UI examples, read from the README itself, so the browser tests use exactly what an
 * operator copies (one source, no drift). Forms recognised, inside a `### <name>` section:
 *
 *   UI example — Workflow Type `createSite`, Workflow ID `site/acme`:      (then a ```json block)
 *   UI example — Workflow Type `deleteSite`, Workflow ID `site/acme`: `{ "site": "acme" }`
 *   UI update — `approveMigration`: `{}`
 *
 * and the "Finding runs in the UI" table: | question | `query` |.
 */
export interface UiStartExample {
  section: string;
  workflowType: string;
  workflowId: string;
  /** The JSON text exactly as written in the README. */
  inputText: string;
  input: unknown;
}

export interface UiUpdateExample {
  section: string;
  name: string;
  inputText: string;
  input: unknown;
}

export interface ReadmeUi {
  taskQueue: string;
  starts: UiStartExample[];
  updates: UiUpdateExample[];
  /** question → query, from the "Finding runs in the UI" table. */
  queries: Map<string, string>;
}

const START = /^UI example — Workflow Type `(\w+)`, Workflow ID `([^`]+)`:\s*(?:`(\{.*\})`\.?)?\s*$/;
const UPDATE = /^UI update — `(\w+)`:\s*`(\{.*\})`\.?\s*$/;
const TASK_QUEUE = /Task Queue `([^`]+)`/;
const QUERY_ROW = /^\|\s*([^|`]+?)\s*\|\s*`([^`]+)`\s*\|\s*$/;

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`README ${where}: the example is not JSON: ${(err as Error).message}`, { cause: err });
  }
}

export function parseReadmeUi(markdown: string): ReadmeUi {
  const lines = markdown.split('\n');
  let section = '';
  let taskQueue: string | undefined;
  let inQueries = false;
  const starts: UiStartExample[] = [];
  const updates: UiUpdateExample[] = [];
  const queries = new Map<string, string>();
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (/^#{2,3} /.test(line)) {
      section = line.replace(/^#+ /, '').trim();
      inQueries = section === 'Finding runs in the UI';
      continue;
    }
    if (!taskQueue && line.startsWith('To start one in the UI')) taskQueue = TASK_QUEUE.exec(line)?.[1];
    const start = START.exec(line);
    if (start) {
      let inputText = start[3];
      if (inputText === undefined) {
        if (lines[i + 1] !== '```json') throw new Error(`README ${section}: a UI example must be followed by a \`\`\`json block (line ${i + 1})`);
        const end = lines.indexOf('```', i + 2);
        if (end < 0) throw new Error(`README ${section}: unterminated json block (line ${i + 2})`);
        inputText = lines.slice(i + 2, end).join('\n');
        i = end;
      }
      starts.push({ section, workflowType: start[1]!, workflowId: start[2]!, inputText, input: parseJson(inputText, `${section} ${start[1]}`) });
      continue;
    }
    const update = UPDATE.exec(line);
    if (update) {
      updates.push({ section, name: update[1]!, inputText: update[2]!, input: parseJson(update[2]!, `${section} update ${update[1]}`) });
      continue;
    }
    const row = inQueries ? QUERY_ROW.exec(line) : null;
    if (row) queries.set(row[1]!, row[2]!);
  }
  if (!taskQueue) throw new Error('README: no "To start one in the UI … Task Queue `…`" line');
  return { taskQueue, starts, updates, queries };
}

export function readmeUi(): ReadmeUi {
  return parseReadmeUi(readFileSync(join(__dirname, '../../README.md'), 'utf8'));
}

/** The one example of a workflow type (or of an update name); throws when the README lacks it. */
export function startExample(ui: ReadmeUi, workflowType: string, workflowId?: string): UiStartExample {
  const found = ui.starts.filter((s) => s.workflowType === workflowType && (workflowId === undefined || s.workflowId === workflowId));
  if (found.length === 0) throw new Error(`README has no UI example for ${workflowType}`);
  return found[0]!;
}

export function updateExample(ui: ReadmeUi, name: string): UiUpdateExample {
  const found = ui.updates.find((u) => u.name === name);
  if (!found) throw new Error(`README has no UI update example for ${name}`);
  return found;
}

export function savedQuery(ui: ReadmeUi, question: string): string {
  const q = ui.queries.get(question);
  if (!q) throw new Error(`README's "Finding runs in the UI" table has no row "${question}"`);
  return q;
}
