import { runCli } from './run';

// `tickstream` entry point (see bin/tickstream.js): exit with the command's code once output is flushed.
process.exitCode = await runCli(process.argv.slice(2));
