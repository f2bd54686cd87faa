import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';

const KEY = Buffer.from('"traces":[');
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN = 0x5b;
const CLOSE = 0x5d;

/**
 * Copies an anvil state dump from `input` to `output` with every transaction's call traces emptied
 * (`"traces":[]`). anvil records a full call tree per transaction (~10 kB for a Uniswap swap), two
 * thirds of a dump; receipts and logs, which indexers read, are kept, so `eth_getLogs` and receipts work
 * the same after `--load-state` (only `debug_trace*` of the old transactions comes back empty).
 * Streams: works on dumps far larger than a JavaScript string can hold.
 */
export async function stripTraces(input: string, output: string, chunkSize = 1 << 22): Promise<void> {
  const out = createWriteStream(output);
  let matched = 0; // bytes of KEY matched so far (copy mode)
  let depth = 0; // > 0: skipping a traces array
  let inString = false;
  let escaped = false;
  for await (const chunk of createReadStream(input, { highWaterMark: chunkSize }) as AsyncIterable<Buffer>) {
    const parts: Buffer[] = [];
    let copyFrom = 0;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i] as number;
      if (depth > 0) {
        if (inString) {
          if (escaped) escaped = false;
          else if (c === BACKSLASH) escaped = true;
          else if (c === QUOTE) inString = false;
        } else if (c === QUOTE) inString = true;
        else if (c === OPEN) depth++;
        else if (c === CLOSE && --depth === 0) copyFrom = i; // the closing ']' is copied
        continue;
      }
      if (c === KEY[matched]) {
        matched++;
        if (matched === KEY.length) {
          matched = 0;
          depth = 1;
          parts.push(chunk.subarray(copyFrom, i + 1));
          copyFrom = chunk.length; // nothing more to copy from this chunk unless the array closes
        }
      } else {
        matched = c === KEY[0] ? 1 : 0;
      }
    }
    if (depth === 0 && copyFrom < chunk.length) parts.push(chunk.subarray(copyFrom));
    for (const part of parts) {
      if (!out.write(part)) await once(out, 'drain');
    }
  }
  out.end();
  await once(out, 'finish');
}
