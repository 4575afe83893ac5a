// Two tabs of headless Chromium chat through chat_server's own page.
// usage: node browser_chat.js http://127.0.0.1:PORT/ SCREENSHOT.png
// Messages are typed into #messageInput and sent with the Send button and with
// Enter: emoji, CJK, markup that must stay text, and a 64 KiB message. Both
// tabs must show every message exactly once in #messages. Then the input's
// rules: Shift+Enter is a new line, blank text is not sent, a message over
// --max-message (in UTF-8 bytes) is refused in the page and kept. No console
// errors or CSP violations, and the page's security headers. Prints one line
// per check; exit 0 only when all pass.
'use strict';
const { checker, inChromium } = require('../common');

const [url, screenshotPath] = process.argv.slice(2);
const checks = checker();
const { check } = checks;

// How many #messages entries show exactly the broadcast of msg.
function countShown(page, msg) {
  return page.evaluate((m) => {
    const want = 'Server: ' + m;
    return [...document.querySelectorAll('#messages > *')].filter((el) => el.textContent === want).length;
  }, msg);
}

async function waitShown(page, msg, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await countShown(page, msg)) > 0) return true;
    await page.waitForTimeout(50);
  }
  return false;
}

async function send(page, text, how) {
  const input = page.locator('#messageInput');
  if (how === 'typed') {
    await input.click();
    await input.pressSequentially(text);
  } else {
    await input.fill(text);
  }
  if (how === 'button') await page.getByRole('button', { name: /send/i }).click();
  else await input.press('Enter');
}

inChromium(checks, 'browser test finished within 90 s', 90000, async (browser) => {
  console.log(`info: chromium ${browser.version()}`);
  const context = await browser.newContext({ viewport: { width: 900, height: 700 } });
  const tabs = [await context.newPage(), await context.newPage()];
  const pageErrors = [];
  for (const [i, p] of tabs.entries()) {
    p.on('pageerror', (e) => pageErrors.push(`tab${i + 1}: ${e.message}`));
    p.on('console', (m) => { if (m.type() === 'error') pageErrors.push(`tab${i + 1}: console: ${m.text()}`); });
    await p.addInitScript(() => {
      window.__csp = [];
      document.addEventListener('securitypolicyviolation',
        (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
    });
  }

  for (const [i, tab] of tabs.entries()) {
    const response = await tab.goto(url, { waitUntil: 'load', timeout: 15000 });
    check(response && response.status() === 200, `tab${i + 1}: GET / -> 200`, response && response.status());
    const headers = response ? response.headers() : {};
    check((headers['content-security-policy'] || '').startsWith("default-src 'none'; script-src 'self'") &&
      headers['referrer-policy'] === 'no-referrer' && headers['x-frame-options'] === 'DENY',
    `tab${i + 1}: the page has its Content-Security-Policy, Referrer-Policy and X-Frame-Options`,
    JSON.stringify(headers));
    check(await tab.locator('#messageInput').count() === 1, `tab${i + 1}: page has #messageInput`);
    check(await tab.locator('#messages').count() === 1, `tab${i + 1}: page has #messages`);
    check(await tab.getByRole('button', { name: /send/i }).count() === 1, `tab${i + 1}: page has a Send button`);
  }

  // The page connects on its own: probe until tab 2 sees what tab 1 sends.
  let joined = false;
  for (let n = 0; n < 40 && !joined; n++) {
    await send(tabs[0], `probe-${n}`, 'enter');
    joined = await waitShown(tabs[1], `probe-${n}`, 500);
  }
  check(joined, 'both tabs connected: a probe from tab 1 reaches tab 2');

  let big = '';
  const unit = 'x64k \u00e9\u4e2d\ud83d\ude00 '; // 14 bytes of UTF-8: ASCII, 2-, 3- and 4-byte
  while (Buffer.byteLength(big) + Buffer.byteLength(unit) <= 65536) big += unit;
  while (Buffer.byteLength(big) < 65536) big += '.';
  const messages = [
    { tab: 0, how: 'button', text: 'hello from tab 1 via the Send button \ud83d\udc4b\ud83c\udf89' },
    { tab: 1, how: 'enter', text: '\u4f60\u597d\uff0c\u4e16\u754c \u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8 \ud55c\uad6d\uc5b4 via Enter' },
    { tab: 1, how: 'typed', text: 'typed key by key: caf\u00e9 \ud83d\ude80 \u00fcber' },
    { tab: 1, how: 'button', text: '<b>html</b> & <img src=x onerror="window.__xss=1"> <script>window.__xss=2</script>' },
    { tab: 0, how: 'enter', text: big },
  ];
  for (const m of messages) {
    if (m.text === big) {
      // Before the 64 KiB message fills the list: the conversation so far.
      await tabs[0].bringToFront();
      await tabs[0].screenshot({ path: screenshotPath });
      console.log(`info: screenshot of tab 1 saved to ${screenshotPath}`);
    }
    const label = m.text.length > 1000 ? `${Buffer.byteLength(m.text)}-byte message` : JSON.stringify(m.text);
    await send(tabs[m.tab], m.text, m.how);
    for (const [i, tab] of tabs.entries()) {
      const seen = await waitShown(tab, m.text, 10000);
      check(seen, `tab${i + 1} shows ${label} (sent from tab${m.tab + 1} with ${m.how})`);
    }
    check(await tabs[m.tab].locator('#messageInput').inputValue() === '',
      `tab${m.tab + 1}: input is cleared after sending ${label}`);
  }
  await tabs[0].waitForTimeout(500); // room for duplicates to arrive
  for (const m of messages) {
    for (const [i, tab] of tabs.entries()) {
      const n = await countShown(tab, m.text);
      check(n === 1, `tab${i + 1} shows ${m.text.length > 1000 ? 'the 64 KiB message' : JSON.stringify(m.text)} exactly once`, `${n} times`);
    }
  }
  for (const [i, tab] of tabs.entries()) {
    const markup = await tab.evaluate(() => ({
      b: document.querySelectorAll('#messages b').length,
      img: document.querySelectorAll('#messages img').length,
      script: document.querySelectorAll('#messages script').length,
      xss: window.__xss,
    }));
    check(markup.b === 0 && markup.img === 0 && markup.script === 0 && markup.xss === undefined,
      `tab${i + 1}: <b>, <img>, <script> in a message are shown as text, not markup`, JSON.stringify(markup));
  }

  // The input is a textarea: Shift+Enter is a new line, Enter sends.
  const input = tabs[0].locator('#messageInput');
  const button = tabs[0].locator('#sendButton');
  await input.fill('line one');
  await input.press('Shift+Enter');
  await input.pressSequentially('line two');
  check(await input.inputValue() === 'line one\nline two', 'Shift+Enter inserts a new line',
    JSON.stringify(await input.inputValue()));
  await input.press('Enter');
  for (const [i, tab] of tabs.entries()) {
    check(await waitShown(tab, 'line one\nline two', 10000), `tab${i + 1} shows the two-line message with its new line`);
  }

  // Blank text: Send disabled, Enter sends nothing.
  await input.fill('');
  check(await button.isDisabled(), 'Send is disabled while the input is empty');
  await input.fill(' \n\t ');
  check(await button.isDisabled(), 'Send is disabled while the input is only whitespace');
  await input.press('Enter');
  await tabs[0].waitForTimeout(300);
  check(await input.inputValue() === ' \n\t ' && await countShown(tabs[0], ' \n\t ') === 0,
    'Enter on whitespace only sends nothing and leaves the input as it was');

  // Over --max-message (65536 by default) counted in UTF-8 bytes: 32769
  // characters of 2 bytes each. Refused in the page, the text kept, the
  // connection left open.
  const tooBig = '\u00e9'.repeat(32769);
  await input.fill(tooBig);
  await input.press('Enter');
  const note = tabs[0].locator('#inputNote');
  check(await note.isVisible() && (await note.textContent()).includes('65538 bytes') &&
    (await note.textContent()).includes('at most 65536'),
  'a 65538-byte message (32769 characters) is refused with a notice naming both sizes',
  JSON.stringify(await note.textContent()));
  check(await input.inputValue() === tooBig, 'the refused text stays in the input');
  await tabs[0].waitForTimeout(300);
  check(await tabs[0].evaluate(() => document.body.dataset.state) === 'open' &&
    await countShown(tabs[1], tooBig) === 0, 'nothing was sent and the connection stays open');
  await input.fill('');
  check(!(await note.isVisible()), 'the notice goes once the text changes');

  check(pageErrors.length === 0, 'no JavaScript or console errors in either tab', pageErrors.join('; '));
  for (const [i, tab] of tabs.entries()) {
    const csp = await tab.evaluate(() => window.__csp);
    check(csp.length === 0, `tab${i + 1}: no Content-Security-Policy violations`, csp.join('; '));
  }

  // The room still works after the 64 KiB message.
  await send(tabs[1], 'last message, sent from tab 2 \u2714', 'button');
  check(await waitShown(tabs[0], 'last message, sent from tab 2 \u2714', 10000),
    'tab1 shows a message sent after the 64 KiB one');
});
