#!/usr/bin/env node
// tfjs-quant-eval: long-running evaluator for `tfjs-quant auto`.
// Speaks JSON lines on stdin/stdout (see ../README.md). Started once per
// search; keeps the model, inputs and reference outputs in memory and swaps
// candidate weights in place.

// stdout is the protocol channel. tfjs prints notices with console.log /
// console.info / console.warn, so send every console method to stderr BEFORE
// tfjs is imported (hence the dynamic imports below: static imports would be
// evaluated before this code runs).
import { format } from 'node:util';
// The converter's hint to use execute() instead of executeAsync() is printed
// on every inference; executeAsync is used on purpose (models with control
// flow need it), so that one notice is dropped instead of flooding stderr.
const DROP = /did not contain any nodes with control flow or dynamic output shapes/;
for (const m of ['log', 'info', 'warn', 'debug', 'trace']) {
  console[m] = (...args) => {
    const text = format(...args);
    if (!DROP.test(text)) process.stderr.write(text + '\n');
  };
}

// A stray async error must not kill the session silently or corrupt stdout.
process.on('unhandledRejection', e => {
  process.stderr.write(`tfjs-quant-eval: unhandled rejection: ${e && e.stack ? e.stack : e}\n`);
});
process.on('uncaughtException', e => {
  process.stderr.write(`tfjs-quant-eval: uncaught exception: ${e && e.stack ? e.stack : e}\n`);
});
// Writing to a closed stdout (caller gone) ends the process quietly.
process.stdout.on('error', () => process.exit(0));

const { send, serve } = await import('../lib/protocol.mjs');
let tfmod, Evaluator, protocolHandlers;
try {
  tfmod = await import('../lib/tf.mjs');
  ({ Evaluator } = await import('../lib/evaluator.mjs'));
  ({ protocolHandlers } = await import('../lib/commands.mjs'));
  await tfmod.initWasm();
} catch (e) {
  await send({ ready: false, error: `evaluator could not start: ${e && e.message ? e.message : e}` });
  process.exit(1);
}

// The browser-safe core gets tfjs injected; commands.mjs adds the file I/O.
const ev = new Evaluator(tfmod.tfjs);
await send({ ready: true, tfjs: tfmod.tf.version_core, backend: tfmod.tf.getBackend() });

await serve(protocolHandlers(ev));
process.exit(0);
