// chat_server's page under /chat/ behind nginx (browser_subpath.py).
// usage: node browser_subpath.js http://127.0.0.1:PORT/chat/
// The page, chat.js and chat.css load through the sub-path; the page's
// WebSocket goes to ws://HOST:PORT/chat/ (not the site's root, which nginx
// answers with 404) and a message makes the round trip. With a query string
// and a fragment on the page's URL too. No console errors, no CSP
// violations, and the page's security headers survive the proxy.
'use strict';
const { checker, inChromium } = require('../common');

const [url] = process.argv.slice(2);
const checks = checker();
const { check } = checks;

inChromium(checks, 'sub-path test finished within 50 s', 50000, async (browser) => {
  const context = await browser.newContext();
  const wsUrl = url.replace(/^http/, 'ws');
  for (const [k, pageUrl] of [url, url + 'index.html?room=1#top'].entries()) {
    const tab = await context.newPage();
    const errors = [];
    const sockets = [];
    const assets = {};
    tab.on('pageerror', (e) => errors.push(e.message));
    tab.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
    tab.on('websocket', (ws) => sockets.push(ws.url()));
    tab.on('response', (r) => { assets[new URL(r.url()).pathname] = r.status(); });
    await tab.addInitScript(() => {
      window.__csp = [];
      document.addEventListener('securitypolicyviolation',
        (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
    });
    const response = await tab.goto(pageUrl, { waitUntil: 'load', timeout: 15000 });
    check(response && response.status() === 200, `${pageUrl} -> 200`, response && response.status());
    const csp = (response && response.headers()['content-security-policy']) || '';
    check(csp.includes("script-src 'self'") && csp.includes("frame-ancestors 'none'"),
      `${pageUrl}: the Content-Security-Policy comes through the proxy`, csp);
    check(assets['/chat/chat.js'] === 200 && assets['/chat/chat.css'] === 200,
      `${pageUrl}: chat.js and chat.css load from /chat/`, JSON.stringify(assets));
    const open = await tab.waitForFunction(() => document.body.dataset.state === 'open', null,
      { timeout: 10000 }).then(() => true, () => false);
    check(open, `${pageUrl}: the page connects`);
    check(sockets.length === 1 && sockets[0] === wsUrl, `${pageUrl}: its WebSocket is ${wsUrl}`,
      JSON.stringify(sockets));
    const text = `through /chat/ #${k} \u00e9\u4e2d`;
    await tab.locator('#messageInput').fill(text);
    await tab.locator('#messageInput').press('Enter');
    const seen = await tab.waitForFunction((t) => [...document.querySelectorAll('#messages > li')]
      .some((li) => li.textContent === 'Server: ' + t), text, { timeout: 10000 }).then(() => true, () => false);
    check(seen, `${pageUrl}: a message makes the round trip`);
    const csps = await tab.evaluate(() => window.__csp);
    check(csps.length === 0, `${pageUrl}: no CSP violations`, csps.join('; '));
    check(errors.length === 0, `${pageUrl}: no JavaScript or console errors`, errors.join('; '));
    await tab.close();
  }
});
