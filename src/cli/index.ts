/** The `numerai-autopilot` process: real streams and environment in, exit code out. */
import { runCli } from './main.js';

process.exitCode = await runCli(process.argv.slice(2), {
  env: process.env,
  cwd: process.cwd(),
  stdout: process.stdout,
  stderr: process.stderr,
});
