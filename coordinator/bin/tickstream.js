#!/usr/bin/env node
// Launcher of the `tickstream` CLI: registers tsx, then runs the TypeScript entry next to this file.
import { register } from 'tsx/esm/api';

register();
await import(new URL('../src/cli/main.ts', import.meta.url).href);
