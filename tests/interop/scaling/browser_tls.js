// The chat page loaded over https:// from nginx, which ends TLS in front of
// chat_server (docs/scaling.md): the page must open its WebSocket with
// wss:// by itself, and chat with a Node ws client and with chat_client,
// both on wss:// with the test CA.
// usage: node browser_tls.js https://127.0.0.1:PORT/ CA.pem
// Prints one line per check; exit 0 only when all pass.
'use strict';
const fs = require('fs');
const WebSocket = require('ws');
const { checker, inChromium } = require('../common');

const [url, caFile] = process.argv.slice(2);
const checks = checker();
const { check } = checks;

function shown(page, prefix) {
  return page.evaluate((p) => [...document.querySelectorAll('#messages > *')]
    .map((el) => el.textContent).filter((t) => t.startsWith('Server: ' + p)), prefix);
}

async function until(fn, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await fn()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

inChromium(checks, 'browser test finished within 90 s', 90000, async (browser) => {
  // The test CA is not in Chromium's store: accept the certificate, as a
  // browser would once the CA is installed.
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  const page = await context.newPage();
  const sockets = [];
  page.on('websocket', (ws) => sockets.push(ws.url()));
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));

  const response = await page.goto(url, { waitUntil: 'load', timeout: 15000 });
  check(response && response.status() === 200, 'GET / over https:// -> 200', response && response.status());

  // A Node ws client on wss://, verifying the certificate against the CA.
  const wsUrl = url.replace(/^https:/, 'wss:');
  const node = new WebSocket(wsUrl, { ca: fs.readFileSync(caFile) });
  const nodeHeard = [];
  node.on('message', (m) => nodeHeard.push(m.toString()));
  const opened = await new Promise((resolve) => {
    node.on('open', () => resolve(true));
    node.on('error', () => resolve(false));
  });
  check(opened, `Node ws client connected to ${wsUrl} with the test CA`);

  // The page connects on its own; probe until its own message comes back.
  let joined = false;
  for (let n = 0; n < 60 && !joined; n++) {
    await page.locator('#messageInput').fill(`from-browser-${n}`);
    await page.locator('#messageInput').press('Enter');
    joined = await until(async () => (await shown(page, `from-browser-${n}`)).length > 0, 500);
  }
  check(joined, 'the page connected and hears its own messages');
  check(sockets.length > 0 && sockets.every((u) => u.startsWith('wss://')),
    'the page chose wss:// by itself (loaded over https://)', JSON.stringify(sockets));

  // chat_client (started by the Python side) sends from-cli-N lines. Once
  // the page hears one, chat_client is in the room: only what is sent from
  // then on is sure to reach it (under valgrind on a busy machine it can
  // join seconds after the page).
  check(await until(async () => (await shown(page, 'from-cli-')).length > 0, 20000),
    'the page hears chat_client over wss://');

  await page.locator('#messageInput').fill('from-browser-to-all');
  await page.locator('#messageInput').press('Enter');
  check(await until(() => nodeHeard.includes('Server: from-browser-to-all'), 5000),
    'the Node wss client hears the page');

  node.send('from-node \u00e9\u4e2d\ud83d\ude00');
  check(await until(async () => (await shown(page, 'from-node \u00e9\u4e2d\ud83d\ude00')).length === 1, 5000),
    'the page hears the Node wss client (UTF-8 intact)');
  check(errors.length === 0, 'no JavaScript errors', errors.join('; '));
  node.close(1000);
});
