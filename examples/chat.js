// The chat page's script (chat.html loads it, chat_server serves both). A
// file of its own so that the page's Content-Security-Policy can forbid
// inline scripts (script-src 'self').
"use strict";
(function () {
  // The WebSocket is at this page's own directory, ws: for http: and wss:
  // for https:. Relative to the page rather than to the host's root, so a
  // proxy that mounts the chat under /chat/ gets ws://host/chat/ (chat_server
  // upgrades on any path), and a TLS proxy in front gets wss:// unchanged.
  const wsUrl = new URL(".", location.href);
  wsUrl.protocol = wsUrl.protocol === "https:" ? "wss:" : "ws:";
  const url = wsUrl.href;

  const messages = document.getElementById("messages");
  const input = document.getElementById("messageInput");
  const button = document.getElementById("sendButton");
  const status = document.getElementById("status");
  const inputNote = document.getElementById("inputNote");
  // chat_server's --max-message, written into the page when it starts (not
  // a number when the page comes from elsewhere: then nothing is checked).
  const maxMessage = Number(document.body.dataset.maxMessage) || 0;
  const utf8 = new TextEncoder();
  // The list keeps the newest MAX_ITEMS lines and at most MAX_CHARS
  // characters of them: 500 lines of 64 KB would be 32 MB of text to lay
  // out, which no tab does quickly.
  const MAX_ITEMS = 500;
  const MAX_CHARS = 256 * 1024;
  // At most this much text is laid out per frame, so that even a slow
  // machine gets back to reading the socket within a fraction of a second.
  const FRAME_CHARS = 64 * 1024;
  const HIDDEN_RENDER_MS = 250;
  const BACKOFF_MIN_MS = 500, BACKOFF_MAX_MS = 30000;
  let ws = null;
  let backoff = BACKOFF_MIN_MS;

  function setStatus(state, text) {
    status.dataset.state = state;
    status.textContent = text;
    document.body.dataset.state = state;
    updateButton();
  }

  function updateButton() {
    button.disabled = !ws || ws.readyState !== WebSocket.OPEN || input.value.trim() === "";
  }

  function note(text) {
    inputNote.textContent = text;
    inputNote.hidden = text === "";
  }

  // Messages are not shown as they arrive but queued, and shown in batches,
  // once per frame. Showing one means laying the list out again (a 60 KB
  // message takes 25-40 ms); while a tab does that for each message of a
  // burst it stops reading its socket, and chat_server drops it as a slow
  // consumer. Queueing keeps onmessage cheap, so the socket is always read,
  // and a batch of at most FRAME_CHARS keeps each frame short.
  const pending = [];
  let pendingChars = 0;
  let shownChars = 0;
  let renderScheduled = false;

  function add(text, cls) {
    pending.push({ text: text, cls: cls });
    pendingChars += text.length;
    // What the list would trim as soon as it showed it is dropped here,
    // before it costs any layout: in a burst, that is most of the queue.
    while (pending.length > MAX_ITEMS || (pending.length > 1 && pendingChars > MAX_CHARS))
      pendingChars -= pending.shift().text.length;
    scheduleRender();
  }

  // When the last batch took long to lay out (big messages, a slow
  // machine), the next waits as long again: a burst then gets at most half
  // of the main thread for showing messages, the rest for reading them.
  // (Measured while the list follows new messages: its scroll write is
  // where the batch is laid out.)
  let renderCost = 0;

  function scheduleRender() {
    if (renderScheduled) return;
    renderScheduled = true;
    // requestAnimationFrame does not run in a hidden tab; a timer does
    // (browsers slow it to about once a second there, which is enough).
    if (document.hidden) setTimeout(render, Math.max(HIDDEN_RENDER_MS, renderCost));
    else if (renderCost > 20) setTimeout(() => requestAnimationFrame(render), renderCost);
    else requestAnimationFrame(render);
  }

  function render() {
    renderScheduled = false;
    const started = performance.now();
    // One layout read per batch, before any change: the previous layout is
    // still valid, so it costs nothing.
    const atBottom = messages.scrollHeight - messages.scrollTop - messages.clientHeight < 40;
    const batch = document.createDocumentFragment();
    let chars = 0, n = 0;
    while (n < pending.length && (n === 0 || chars + pending[n].text.length <= FRAME_CHARS)) {
      const item = pending[n++];
      const li = document.createElement("li");
      if (item.cls) li.className = item.cls;
      li.textContent = item.text; // textContent, never innerHTML: what anyone sends stays text
      batch.appendChild(li);
      chars += item.text.length;
    }
    pending.splice(0, n);
    pendingChars -= chars;
    shownChars += chars;
    messages.appendChild(batch);
    while (messages.children.length > MAX_ITEMS ||
           (messages.children.length > 1 && shownChars > MAX_CHARS)) {
      shownChars -= messages.firstChild.textContent.length;
      messages.removeChild(messages.firstChild);
    }
    // Follow new messages only when the reader was at the bottom; this
    // write is the one layout of the batch.
    if (atBottom) messages.scrollTop = messages.scrollHeight;
    renderCost = performance.now() - started;
    if (pending.length > 0) scheduleRender();
  }

  function connect() {
    setStatus("connecting", "connecting…");
    ws = new WebSocket(url);
    ws.binaryType = "arraybuffer";
    ws.onopen = function () {
      backoff = BACKOFF_MIN_MS;
      setStatus("open", "connected");
      add("connected to " + url, "notice");
    };
    ws.onmessage = function (ev) {
      if (typeof ev.data === "string") add(ev.data);
      else add("[binary message, " + ev.data.byteLength + " bytes]", "notice");
    };
    ws.onclose = function (ev) {
      // Exponential backoff with jitter, so a restarted server is not hit
      // by every browser at the same instant.
      const delay = Math.round(backoff * (0.5 + Math.random() / 2));
      backoff = Math.min(backoff * 2, BACKOFF_MAX_MS);
      ws = null;
      setStatus("closed", "disconnected");
      add("disconnected (code " + ev.code + (ev.reason ? ", " + ev.reason : "") +
          "); reconnecting in " + (delay / 1000).toFixed(1) + " s", "notice");
      setTimeout(connect, delay);
    };
    // An error is always followed by close, which reports and reconnects.
    ws.onerror = function () {};
  }

  function send() {
    const text = input.value;
    if (text.trim() === "" || !ws || ws.readyState !== WebSocket.OPEN) return;
    // --max-message counts UTF-8 bytes, not characters (é is 2, 😀 is 4). A
    // longer message would make the server close the connection (1009) and
    // the text would be lost: refuse it here and leave it to be shortened.
    const bytes = utf8.encode(text).length;
    if (maxMessage && bytes > maxMessage) {
      note(bytes + " bytes; this server takes at most " + maxMessage + ".");
      return;
    }
    ws.send(text);
    input.value = "";
    note("");
    updateButton();
    input.focus();
  }

  input.addEventListener("input", function () {
    note("");
    updateButton();
  });
  // Enter sends, Shift+Enter starts a new line. Not while an input method
  // is composing (Chinese, Japanese...): there Enter picks the characters.
  input.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      send();
    }
  });
  document.getElementById("sendForm").addEventListener("submit", function (ev) {
    ev.preventDefault();
    send();
  });

  connect();
})();
