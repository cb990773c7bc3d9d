#!/usr/bin/env node
// Runs the TypeScript sources directly (Node >= 22.18 strips types) inside the repository,
// and the compiled copy when installed as a dependency, where Node refuses to strip types.
import { existsSync } from 'node:fs';

const insideNodeModules = import.meta.url.includes('/node_modules/');
const compiled = new URL('../dist/src/cli/main.js', import.meta.url);
const source = new URL('../src/cli/main.ts', import.meta.url);
const { runCli } = await import(insideNodeModules && existsSync(compiled) ? compiled.href : source.href);
const code = await runCli(process.argv.slice(2), process);
if (process.argv[2] !== 'serve') process.exitCode = code;
