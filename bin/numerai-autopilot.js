#!/usr/bin/env node
// Runs the TypeScript CLI directly: tsx compiles it on load, so a fresh clone works right after `npm ci`.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/index.ts');
