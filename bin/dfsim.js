#!/usr/bin/env node
// Thin shim: all logic lives in the bundled CLI (built by `npm ci` through the prepare script).
import { main } from '../dist/dfsim.mjs';

process.exitCode = await main(process.argv.slice(2));
