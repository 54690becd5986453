// The prerender npm package with its default settings (no cache plugin), pointed at the
// same Chromium binary and flags as our render service. prerender ignores CHROME_LOCATION,
// so the location and a --remote-debugging-port go in code.
const prerender = require('prerender');
const port = parseInt(process.env.PRERENDER_PORT || '3000', 10);
const debugPort = parseInt(process.env.PRERENDER_DEBUG_PORT || '9222', 10);
const flags = (process.env.CHROME_FLAGS || '').split(' ').filter(Boolean);
const server = prerender({
  port,
  chromeLocation: process.env.CHROME_BIN,
  chromeFlags: flags.concat(['--remote-debugging-port=' + debugPort]),
  browserDebuggingPort: debugPort,
});
server.start();
