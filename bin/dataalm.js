#!/usr/bin/env node
import { main } from '../dist/interfaces/cli/main.js';

// Connection URLs may carry passwords: keep them out of what `ps` shows of this process.
process.title = ['dataalm', ...process.argv.slice(2).filter((arg) => !arg.includes('://'))].join(' ');

await main(process.argv);
