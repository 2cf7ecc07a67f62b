// Entry point of the `segstation` command (bin/segstation.mjs loads it through tsx).
import { main } from './main.ts';

process.exitCode = await main(process.argv.slice(2));
