#!/usr/bin/env -S node --
// The `--` ends node's own options: without it Node reads a `--env-file` meant for Tollgate as its
// own, even after the script name, and exits 9 on a missing file (nodejs/node#54232).
import { main } from '../dist/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
