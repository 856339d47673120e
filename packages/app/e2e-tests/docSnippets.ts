import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '../../..');

/**
 * The code block after `<!-- <kind>-snippet: <name> -->` in a page of docs/: the tests run what
 * the docs say, so the docs cannot drift from what works.
 */
export function docSnippet(page: string, kind: string, name: string): string {
  const doc = fs.readFileSync(path.join(root, 'docs', page), 'utf8');
  const m = new RegExp(
    `<!-- ${kind}-snippet: ${name} -->\\s*\`\`\`\\w*\\n([\\s\\S]*?)\\n\`\`\``,
  ).exec(doc);
  if (!m) throw new Error(`docs/${page} has no ${kind}-snippet "${name}"`);
  return m[1];
}
