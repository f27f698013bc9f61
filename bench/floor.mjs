// The least a replayed rebuild can do in Node, as a yardstick for it: list and lstat every entry of
// the context (how an edit is noticed), then print output of the same size. No hashing, no checks.
// Usage: node floor.mjs CONTEXT OUTPUT_FILE
import fs from 'node:fs';

const [root, outputFile] = process.argv.slice(2);
const seen = [];
const visit = (abs) => {
  for (const name of fs.readdirSync(abs).sort()) {
    const child = `${abs}/${name}`;
    const st = fs.lstatSync(child);
    seen.push(st.size, st.mtimeMs, st.ctimeMs, st.ino, st.mode);
    if (st.isDirectory()) visit(child);
  }
};
visit(root);
process.stdout.write(fs.readFileSync(outputFile));
