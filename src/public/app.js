// The chat page of the nestjs-chat-memory example app: plain browser JavaScript, no build step,
// no dependencies. It uses the app's JSON endpoints:
//   GET/POST/DELETE /session            the demo sign-in (a name in an HttpOnly cookie)
//   GET  /chat                          the signed-in user's conversations
//   GET  /chat/:id/history, /window     a conversation's messages, and its memory window
//   GET  /chat/:id/stream?message=      a reply as Server-Sent Events: the agent's tool steps
//                                       (`step` events), then the answer word by word

/** What the recorder appends to a reply the client stopped (metadata.interrupted says so too). */
const INTERRUPTED_MARKER = ' [interrupted]';

const page = {
  signIn: byId('sign-in'),
  signInForm: byId('sign-in-form'),
  signInError: byId('sign-in-error'),
  name: byId('name'),
  who: byId('who'),
  userName: byId('user-name'),
  signOut: byId('sign-out'),
  chat: byId('chat'),
  newConversation: byId('new-conversation'),
  conversationList: byId('conversation-list'),
  title: byId('conversation-title'),
  messages: byId('messages'),
  status: byId('status'),
  composer: byId('composer'),
  message: byId('message'),
  send: byId('send'),
  stop: byId('stop'),
  windowTurns: byId('window-turns'),
  windowMeter: byId('window-meter'),
  windowMessages: byId('window-messages'),
  windowTokens: byId('window-tokens'),
  windowTtl: byId('window-ttl'),
};

const state = {
  /** The open conversation's id. */
  conversationId: '',
  /** The signed-in user's conversations, as `GET /chat` lists them. */
  conversations: [],
  /** While a reply streams: its EventSource and how it ends (`stop()`). */
  streaming: null,
  /** The id of the newest stored message of the open conversation (`null`: none yet). */
  newestId: null,
  /** The open conversation's TTL: seconds left when read, and when (`performance.now()`). */
  ttl: null,
  /** The TTL each write sets (`null`: none; `undefined`: not read yet). */
  ttlConfigured: undefined,
};

function byId(id) {
  return document.getElementById(id);
}

/** A new element with a class and children (strings become text: nothing is parsed as HTML). */
function element(tag, className, ...children) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  node.append(...children);
  return node;
}

/** A random conversation id (the library accepts 1-128 of `A-Za-z0-9_.:@=-`). */
function newConversationId() {
  const [random] = crypto.getRandomValues(new Uint32Array(1));
  return `c-${Date.now().toString(36)}-${random.toString(36)}`;
}

/** Thrown by `api()` on a 401: the user is no longer signed in (the page shows the sign-in). */
class SignedOutError extends Error {}

/** A JSON call to the app; throws with the server's message on an error status. */
async function api(path, { method = 'GET', body } = {}) {
  const response = await fetch(path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 401) {
    showSignIn();
    throw new SignedOutError('Signed out');
  }
  if (!response.ok) {
    const error = await response.json().catch(() => ({}));
    const message = Array.isArray(error.message) ? error.message.join('; ') : error.message;
    throw new Error(message || `${method} ${path} answered ${response.status}`);
  }
  return response.status === 204 ? null : response.json();
}

const conversationPath = (id) => `/chat/${encodeURIComponent(id)}`;

/** The conversation id in the address (`#<id>`), or `''`. */
function idFromHash() {
  try {
    return decodeURIComponent(location.hash.slice(1));
  } catch {
    return ''; // not a valid escape: ignored
  }
}

function showStatus(text) {
  page.status.textContent = text;
}

/** Shows what failed, unless it is a sign-out (the sign-in form says that). */
function reportError(error) {
  if (!(error instanceof SignedOutError)) showStatus(error.message);
}

// ---- Signing in and out ----

function showSignIn() {
  stopStreaming();
  page.chat.hidden = true;
  page.who.hidden = true;
  page.signIn.hidden = false;
  page.name.focus();
}

async function showChat(name) {
  page.userName.textContent = name;
  page.signIn.hidden = true;
  page.who.hidden = false;
  page.chat.hidden = false;
  await loadConversations();
  // The conversation in the address (#id, kept across reloads), else the latest, else a new one.
  await openConversation(idFromHash() || state.conversations[0]?.id || newConversationId());
}

async function signIn(event) {
  event.preventDefault();
  page.signInError.textContent = '';
  try {
    const { name } = await api('/session', { method: 'POST', body: { name: page.name.value } });
    await showChat(name);
  } catch (error) {
    page.signInError.textContent = error.message;
  }
}

async function signOut() {
  await api('/session', { method: 'DELETE' }).catch(reportError);
  history.replaceState(null, '', location.pathname);
  state.conversationId = '';
  page.messages.replaceChildren();
  showSignIn();
}

// ---- Conversations ----

async function loadConversations() {
  const { conversations } = await api('/chat');
  state.conversations = conversations;
  renderConversationList();
}

function renderConversationList() {
  const items = state.conversations.map((conversation) => {
    const button = element(
      'button',
      'conversation-link',
      element('span', 'conversation-name', conversation.title ?? conversation.id),
      element(
        'small',
        'muted',
        `${plural(conversation.messageCount, 'message')} · ${timeAgo(conversation.updatedAt)}`,
      ),
    );
    button.type = 'button';
    button.dataset.id = conversation.id;
    return element('li', '', button);
  });
  const current = state.conversations.find((c) => c.id === state.conversationId);
  page.title.textContent = current ? (current.title ?? current.id) : 'New conversation';
  // A new conversation is listed once it has a message; until then, a placeholder.
  if (!current) {
    const placeholder = element(
      'button',
      'conversation-link',
      element('span', 'conversation-name', 'New conversation'),
    );
    placeholder.type = 'button';
    placeholder.dataset.id = state.conversationId;
    items.unshift(element('li', '', placeholder));
  }
  for (const button of items.map((item) => item.firstElementChild)) {
    if (button.dataset.id === state.conversationId) button.setAttribute('aria-current', 'true');
  }
  page.conversationList.replaceChildren(...items);
}

async function openConversation(id) {
  stopStreaming();
  state.conversationId = id;
  if (location.hash.slice(1) !== encodeURIComponent(id)) {
    history.replaceState(null, '', `#${encodeURIComponent(id)}`);
  }
  state.newestId = null;
  page.messages.replaceChildren();
  showStatus('');
  renderConversationList();
  await refresh();
  page.message.focus();
}

/**
 * Reads the open conversation's messages and window again and shows them. With `after` (the id of
 * the newest message before a turn), waits up to 3 s for that turn to be stored: a stopped stream
 * is recorded once the server sees the connection close.
 */
async function refresh({ after } = {}) {
  const id = state.conversationId;
  const path = conversationPath(id);
  let messages = await api(`${path}/history`);
  const unchanged = () => after !== undefined && (messages.at(-1)?.id ?? null) === after;
  for (let tries = 0; unchanged() && tries < 30; tries++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    messages = await api(`${path}/history`);
  }
  const memoryWindow = await api(`${path}/window`);
  if (id !== state.conversationId) return; // the user opened another one meanwhile
  renderMessages(messages);
  renderWindow(memoryWindow);
}

// ---- Messages ----

/** A message's text: its string, or its text parts (other parts as a placeholder). */
function textOf(message) {
  if (typeof message.content === 'string') return message.content;
  return message.content
    .map((part) =>
      part.type === 'text' || part.type === 'reasoning' ? part.text : `[${part.type}]`,
    )
    .join('');
}

/** One stored message, shown by what it is: the user's, an answer, a tool call, a tool result. */
function messageItem(message) {
  const text = textOf(message);
  let item;
  if (message.role === 'user') {
    item = element('li', 'message user', element('span', 'who', 'You'), element('p', 'text', text));
  } else if (message.role === 'system') {
    // The app's summary of turns that slid out of the window, pinned first.
    item = element(
      'li',
      'message summary',
      element('span', 'who', 'Memory summary'),
      element('p', 'text', text),
    );
  } else if (message.role === 'tool') {
    item = element(
      'li',
      'message tool-result',
      element('span', 'who', 'result'),
      ' ',
      element('code', '', text),
      element('span', 'muted', ` from ${message.name ?? 'the tool'}`),
    );
  } else if (message.toolCalls?.length) {
    // "calls calculator({"expression":"12 * 7"})", one code element per call.
    const calls = message.toolCalls.flatMap((call, i) => [
      i === 0 ? ' ' : ', ',
      element('code', '', `${call.name}(${call.arguments})`),
    ]);
    item = element('li', 'message tool-call', element('span', 'who', 'calls'), ...calls);
    if (text) item.append(element('p', 'text', text));
  } else {
    const interrupted = message.metadata?.interrupted === true;
    const shown =
      interrupted && text.endsWith(INTERRUPTED_MARKER)
        ? text.slice(0, -INTERRUPTED_MARKER.length)
        : text;
    item = element(
      'li',
      'message assistant',
      element('span', 'who', 'Assistant'),
      element('p', 'text', shown),
    );
    if (interrupted) {
      item.classList.add('interrupted');
      item.append(element('span', 'badge', 'interrupted'));
    }
  }
  if (message.createdAt) item.title = new Date(message.createdAt).toLocaleString();
  return item;
}

function renderMessages(messages) {
  state.newestId = messages.at(-1)?.id ?? null;
  page.messages.replaceChildren(...messages.map(messageItem));
  if (messages.length === 0) {
    page.messages.append(element('li', 'empty muted', 'No messages yet. Say hello.'));
  }
  page.messages.lastElementChild?.scrollIntoView({ block: 'end' });
}

// ---- The memory window ----

function renderWindow({
  turns,
  maxTurns,
  messages,
  tokens,
  maxTokens,
  ttlSeconds,
  configuredTtlSeconds,
}) {
  page.windowTurns.textContent = `${turns} of ${maxTurns}`;
  page.windowMeter.max = maxTurns;
  page.windowMeter.value = turns;
  page.windowMessages.textContent = String(messages);
  page.windowTokens.textContent = maxTokens === null ? `~${tokens}` : `~${tokens} of ${maxTokens}`;
  state.ttl = ttlSeconds === null ? null : { seconds: ttlSeconds, at: performance.now() };
  state.ttlConfigured = configuredTtlSeconds;
  renderTtl();
}

/** The TTL left, counting down between reads (every write sets it again). */
function renderTtl() {
  if (state.ttlConfigured === undefined) return;
  if (state.ttlConfigured === null) {
    page.windowTtl.textContent = 'no TTL: kept until deleted';
  } else if (state.ttl === null) {
    page.windowTtl.textContent = `– (${duration(state.ttlConfigured)} after each write)`;
  } else {
    const left = state.ttl.seconds - (performance.now() - state.ttl.at) / 1000;
    page.windowTtl.textContent =
      left > 0 ? `${duration(left)} of ${duration(state.ttlConfigured)}` : 'expired';
  }
}

// ---- Sending ----

function setBusy(busy, { streaming = false } = {}) {
  page.send.disabled = busy;
  page.message.disabled = busy;
  page.stop.disabled = !streaming;
}

async function send(event) {
  event.preventDefault();
  const text = page.message.value.trim();
  if (!text || state.streaming) return;
  page.message.value = '';
  showStatus('');
  page.messages.querySelector('.empty')?.remove();
  page.messages.append(messageItem({ role: 'user', content: text }));
  try {
    await streamReply(text);
    await loadConversations();
    // A new conversation's title is made just after its first write: look once more.
    if (state.conversations.some((c) => c.id === state.conversationId && c.title === null)) {
      await new Promise((resolve) => setTimeout(resolve, 300));
      await loadConversations();
    }
  } catch (error) {
    reportError(error);
  } finally {
    setBusy(false);
    page.message.focus();
  }
}

/**
 * `GET /chat/:id/stream?message=`: the reply, live. Each tool step of the agent (a `step` event:
 * the assistant's tool calls, a tool result, as JSON) is shown as it arrives, as the history shows
 * it; then the answer, word by word (`message` events), into a live message. It resolves when the
 * stream ends or Stop is pressed; either way the stored turn is then read back, so a stopped reply
 * shows as the server recorded it, marked interrupted.
 */
function streamReply(text) {
  const id = state.conversationId;
  const newestBefore = state.newestId;
  const live = element('p', 'text', '');
  const bubble = element(
    'li',
    'message assistant streaming',
    element('span', 'who', 'Assistant'),
    live,
  );
  page.messages.append(bubble);
  setBusy(true, { streaming: true });

  return new Promise((resolve) => {
    const source = new EventSource(
      `${conversationPath(id)}/stream?message=${encodeURIComponent(text)}`,
    );
    let received = false;
    const finish = (stopped) => {
      // Already CLOSED (not reconnecting) without a word: the server refused the request (an
      // error status: signed out, a bad message, ...).
      const failed = !stopped && !received && source.readyState === EventSource.CLOSED;
      // Closed here, or the browser would reconnect, and ask again.
      source.close();
      state.streaming = null;
      bubble.classList.remove('streaming');
      page.stop.disabled = true; // the rest is enabled again once the turn is shown (send())
      if (failed) showStatus('The reply could not be streamed.');
      if (stopped) bubble.classList.add('interrupted');
      // Wait for the turn to be stored: a stopped reply is recorded once the server sees it.
      const after = failed ? undefined : newestBefore;
      resolve(id === state.conversationId ? refresh({ after }) : undefined);
    };
    source.addEventListener('step', (event) => {
      received = true;
      // Shown above the live answer, which stays last.
      bubble.before(messageItem(JSON.parse(event.data)));
      bubble.scrollIntoView({ block: 'end' });
    });
    source.addEventListener('message', (event) => {
      received = true;
      live.textContent += event.data;
      bubble.scrollIntoView({ block: 'end' });
    });
    // The server ends the stream after the last word (the turn is stored by then); or it failed.
    source.addEventListener('error', () => finish(false));
    state.streaming = { stop: () => finish(true) };
  });
}

/** Stops a streaming reply: the server records what it sent, marked interrupted. */
function stopStreaming() {
  state.streaming?.stop();
}

// ---- Formatting ----

function plural(count, word) {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

function duration(seconds) {
  const whole = Math.max(0, Math.round(seconds));
  const minutes = Math.floor(whole / 60);
  if (minutes >= 60) return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
  return `${minutes}:${String(whole % 60).padStart(2, '0')}`;
}

function timeAgo(ms) {
  const seconds = Math.max(0, (Date.now() - ms) / 1000);
  if (seconds < 60) return 'just now';
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ago`;
  return new Date(ms).toLocaleDateString();
}

// ---- Wiring ----

page.signInForm.addEventListener('submit', signIn);
page.signOut.addEventListener('click', signOut);
page.composer.addEventListener('submit', send);
page.stop.addEventListener('click', stopStreaming);
page.newConversation.addEventListener('click', () =>
  openConversation(newConversationId()).catch(reportError),
);
page.conversationList.addEventListener('click', (event) => {
  const button = event.target.closest('button[data-id]');
  if (button && button.dataset.id !== state.conversationId) {
    openConversation(button.dataset.id).catch(reportError);
  }
});
window.addEventListener('hashchange', () => {
  const id = idFromHash();
  if (id && id !== state.conversationId && !page.chat.hidden) {
    openConversation(id).catch(reportError);
  }
});
setInterval(renderTtl, 1000);

try {
  const { name } = await api('/session');
  if (name) await showChat(name);
  else showSignIn();
} catch (error) {
  reportError(error);
}
