// Runs the CLI in this process and reports its wall time and peak RSS on stderr as JSON.
import { main } from '../dist/dfsim.mjs';

const start = performance.now();
const out = [];
const code = await main(process.argv.slice(2), { out: (s) => out.push(s), err: (s) => process.stderr.write(s), isTTY: false, env: process.env });
const ms = performance.now() - start;
process.stderr.write(`${JSON.stringify({ code, ms: Math.round(ms), maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024) })}\n`);
