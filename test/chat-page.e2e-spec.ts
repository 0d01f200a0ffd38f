import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { INestApplication } from '@nestjs/common';
import type { ChatMessage } from 'nestjs-chat-memory';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisUrl, uniquePrefix } from './support/helpers.js';
import { startExampleApp } from './support/http-apps.js';

/**
 * The example app's chat page (`src/public`, served at `/`) in a real headless Chromium: Debian's
 * `chromium` driven by playwright-core (no browser download). The steps below are one story and
 * run in order, sharing the two users' pages.
 */

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
/** Where the screenshot goes (git-ignored). */
const ARTIFACTS = fileURLToPath(new URL('./artifacts/', import.meta.url));

/** Polls `read` until the assertion after it holds, for up to 5 s. */
const eventually = <T>(read: () => Promise<T>) =>
  expect.poll(read, { timeout: 5000, interval: 50 });

/** The open conversation as the user sees it: each message's visible text, on one line. */
const transcript = async (page: Page) =>
  (await page.locator('#messages > li.message').allInnerTexts()).map((text) =>
    text.replace(/\s+/g, ' ').trim(),
  );

/**
 * Page script (a string: the tests have no DOM types) that records every message the page adds
 * to the list from now on, in `window.addedMessages`: its classes, its text, and whether a reply
 * was still streaming then (a message added while streaming came from the stream, not from the
 * history read back after it).
 */
const RECORD_ADDED_MESSAGES = `(() => {
  const added = (window.addedMessages = []);
  new MutationObserver((records) => {
    const streaming = document.querySelector('#messages > li.streaming') !== null;
    for (const record of records) {
      for (const node of record.addedNodes) {
        if (node.classList?.contains('message')) {
          const text = node.innerText.replace(/\\s+/g, ' ').trim();
          added.push({ className: node.className, text, streaming });
        }
      }
    }
  }).observe(document.getElementById('messages'), { childList: true });
})()`;

/** The titles in the user's list of conversations. */
const conversationNames = (page: Page) => page.locator('.conversation-name').allInnerTexts();

/** Types a message and sends it, once the page is ready for one (the box is disabled till then). */
async function send(page: Page, message: string): Promise<void> {
  await page.getByLabel('Your message').fill(message);
  await page.getByRole('button', { name: 'Send' }).click();
}

/** Sends a message and waits until the page shows the stored turn and takes a new message. */
async function sendAndWait(page: Page, message: string): Promise<void> {
  await send(page, message);
  await eventually(() => page.getByLabel('Your message').isEnabled()).toBe(true);
}

const NAME_TURN = [
  'You Hi, my name is Alice',
  'Assistant Nice to meet you, Alice! I will remember that.',
];
const TOOL_TURN = [
  'You What is 12 * 7?',
  'calls calculator({"expression":"12 * 7"})',
  'result 84 from calculator',
  'Assistant 12 * 7 = 84',
];

describe('the chat page in headless Chromium', () => {
  let app: INestApplication;
  let url: string;
  let browser: Browser;
  let alice: Page;
  let bob: Page;
  /** Requests to anything but the app (the page must work offline: none). */
  const elsewhere: string[] = [];
  /** Uncaught errors in the pages. */
  const pageErrors: string[] = [];
  /** Alice's first conversation. */
  let aliceConversation: string;

  /** A page of its own browser context (its own cookies): one user. */
  async function userPage(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1100, height: 840 } });
    context.setDefaultTimeout(5000);
    const page = await context.newPage();
    page.on('request', (request) => {
      if (!request.url().startsWith(`${url}/`)) elsewhere.push(request.url());
    });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    return page;
  }

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `No Chromium at ${CHROMIUM}: install Debian's chromium (apt-get install chromium; .ci/run does) or set CHROMIUM_PATH`,
      );
    }
    ({ app, url } = await startExampleApp({
      REDIS_URL: redisUrl(),
      CHAT_KEY_PREFIX: uniquePrefix('page'),
      CHAT_MAX_TURNS: '3',
      CHAT_TTL_SECONDS: '600',
    }));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    alice = await userPage();
    bob = await userPage();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('1. signs in two users, each with an HttpOnly cookie in their own browser', async () => {
    for (const [page, name] of [
      [alice, 'alice'],
      [bob, 'bob'],
    ] as const) {
      await page.goto(url);
      await page.getByLabel('Your name').fill(name);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await eventually(() => page.locator('#who').innerText()).toMatch(
        new RegExp(`^Signed in as ${name}\\s+Sign out$`),
      );
      // A new conversation is open, empty, with the window of an empty conversation.
      expect(await page.locator('#conversation-title').innerText()).toBe('New conversation');
      await eventually(() => page.locator('#window-turns').innerText()).toBe('0 of 3');
    }
    expect(await alice.context().cookies()).toEqual([
      expect.objectContaining({
        name: 'chat_user',
        value: 'alice',
        httpOnly: true,
        sameSite: 'Lax',
      }),
    ]);
    // Page scripts cannot read it.
    expect(await alice.evaluate('document.cookie')).toBe('');
  });

  it('2. has a conversation over SSE: a reply, then a calculator tool call and its result streamed live', async () => {
    await sendAndWait(alice, 'Hi, my name is Alice');
    await eventually(() => transcript(alice)).toEqual(NAME_TURN);

    await alice.evaluate(RECORD_ADDED_MESSAGES);
    await sendAndWait(alice, 'What is 12 * 7?');
    await eventually(() => transcript(alice)).toEqual([...NAME_TURN, ...TOOL_TURN]);
    // The tool call and its result were shown as their `step` events arrived, while the answer
    // was still streaming; then again as the stored turn read back once the stream ended.
    const added = (await alice.evaluate('window.addedMessages')) as {
      className: string;
      text: string;
      streaming: boolean;
    }[];
    const [call, result] = TOOL_TURN.slice(1, 3);
    expect(
      added
        .filter((message) => /\btool-(?:call|result)\b/.test(message.className))
        .map(({ text, streaming }) => ({ text, streaming })),
    ).toEqual([
      { text: call, streaming: true },
      { text: result, streaming: true },
      { text: call, streaming: false },
      { text: result, streaming: false },
    ]);
    // The tool call and its result are shown as such, not as chat bubbles.
    expect(await alice.locator('.message.tool-call code').innerText()).toBe(
      'calculator({"expression":"12 * 7"})',
    );
    expect(await alice.locator('.message.tool-result code').innerText()).toBe('84');

    // The memory window: 2 of 3 turns, 6 messages, a 10-minute TTL just set again.
    await eventually(() => alice.locator('#window-turns').innerText()).toBe('2 of 3');
    expect(await alice.locator('#window-messages').innerText()).toBe('6');
    expect(await alice.locator('#window-tokens').innerText()).toMatch(/^~\d+$/);
    expect(await alice.locator('#window-ttl').innerText()).toMatch(/^(?:9:5\d|10:00) of 10:00$/);
    // Listed, titled after its first message (generateTitle).
    await eventually(() => conversationNames(alice)).toEqual(['Hi, my name is Alice']);
    aliceConversation = decodeURIComponent(new URL(alice.url()).hash.slice(1));
    expect(aliceConversation).toMatch(/^c-[a-z0-9]+-[a-z0-9]+$/);
    // The streamed turn is stored with its steps: the tool call, its result, the answer.
    const stored = await alice.request.get(`${url}/chat/${aliceConversation}/history`);
    const messages = (await stored.json()) as ChatMessage[];
    expect(messages.slice(2)).toEqual([
      expect.objectContaining({ role: 'user', content: 'What is 12 * 7?' }),
      expect.objectContaining({
        role: 'assistant',
        toolCalls: [expect.objectContaining({ name: 'calculator' })],
      }),
      expect.objectContaining({ role: 'tool', content: '84', name: 'calculator' }),
      expect.objectContaining({ role: 'assistant', content: '12 * 7 = 84' }),
    ]);
  });

  it('3. reloads the page and sees the history; a new conversation has a memory of its own', async () => {
    await alice.reload();
    await eventually(() => transcript(alice)).toEqual([...NAME_TURN, ...TOOL_TURN]);
    expect(await alice.locator('#conversation-title').innerText()).toBe('Hi, my name is Alice');
    expect(await alice.locator('#window-turns').innerText()).toBe('2 of 3');

    await alice.getByRole('button', { name: 'New conversation' }).click();
    await eventually(() => alice.locator('#messages').innerText()).toBe(
      'No messages yet. Say hello.',
    );
    await sendAndWait(alice, 'What is my name?');
    await eventually(() => transcript(alice)).toEqual([
      'You What is my name?',
      "Assistant You haven't told me your name yet (or it slid out of my memory window).",
    ]);
    // Most recently active first.
    await eventually(() => conversationNames(alice)).toEqual([
      'What is my name?',
      'Hi, my name is Alice',
    ]);

    await alice.getByRole('button', { name: /^Hi, my name is Alice/ }).click();
    await eventually(() => transcript(alice)).toEqual([...NAME_TURN, ...TOOL_TURN]);
    expect(decodeURIComponent(new URL(alice.url()).hash.slice(1))).toBe(aliceConversation);
  });

  it("4. never shows one user the other's conversations", async () => {
    // Bob has none, and Alice's do not appear in his list.
    await bob.reload();
    await eventually(() => conversationNames(bob)).toEqual(['New conversation']);
    await sendAndWait(bob, 'Hi, my name is Bob');
    await eventually(() => transcript(bob)).toEqual([
      'You Hi, my name is Bob',
      'Assistant Nice to meet you, Bob! I will remember that.',
    ]);
    await eventually(() => conversationNames(bob)).toEqual(['Hi, my name is Bob']);

    // Alice's conversation id in Bob's address bar opens an empty conversation of his own.
    await bob.goto(`${url}/#${aliceConversation}`);
    await eventually(() => bob.locator('#messages').innerText()).toBe(
      'No messages yet. Say hello.',
    );
    expect(await bob.locator('#window-turns').innerText()).toBe('0 of 3');
    expect(await bob.locator('body').innerText()).not.toContain('Alice');

    // The same through the JSON endpoints, with Bob's cookie.
    const list = await bob.request.get(`${url}/chat`);
    expect(list.status()).toBe(200);
    const { conversations } = (await list.json()) as { conversations: { id: string }[] };
    expect(conversations.map((c) => c.id)).not.toContain(aliceConversation);
    expect(conversations).toHaveLength(1);
    const history = await bob.request.get(`${url}/chat/${aliceConversation}/history`);
    expect(await history.json()).toEqual([]);

    // And Alice does not see Bob's.
    await alice.reload();
    await eventually(() => conversationNames(alice)).toEqual([
      'What is my name?',
      'Hi, my name is Alice',
    ]);
  });

  it('5. stops a streaming reply midway and sees it marked interrupted; old turns slide out', async () => {
    await eventually(() => transcript(alice)).toEqual([...NAME_TURN, ...TOOL_TURN]);
    // A message the model echoes: a reply of 52 words, about 1.6 s of streaming.
    const story =
      'Tell me a story about a lighthouse keeper who counts the waves every night and writes ' +
      'each one down in a small blue notebook, until the morning the sea is so calm that there ' +
      'is nothing left to count, so she counts the gulls instead';
    const fullReply = `You said: "${story}". I remember 6 earlier messages.`;
    await send(alice, story);
    // Words arrive one by one (30 ms apart): stop after the first few.
    // (The page has shown three words, so the server had sent at least those when Stop closed it.)
    await alice.locator('.message.streaming', { hasText: '"Tell' }).waitFor();
    await alice.getByRole('button', { name: 'Stop' }).click();

    // What the server recorded, read back: the words sent so far, marked interrupted.
    const interrupted = alice.locator('.message.interrupted');
    await interrupted.locator('.badge').waitFor();
    const partial = await interrupted.locator('.text').innerText();
    expect(partial).toMatch(/^You said: "Tell/);
    expect(fullReply.startsWith(partial)).toBe(true);
    expect(partial.length).toBeLessThan(fullReply.length);
    expect(await transcript(alice)).toEqual([
      ...NAME_TURN,
      ...TOOL_TURN,
      `You ${story}`,
      `Assistant ${partial.trim()} interrupted`,
    ]);
    expect(await alice.locator('#window-turns').innerText()).toBe('3 of 3');

    // A fourth turn: the window keeps 3, so the first one slides out of it.
    await sendAndWait(alice, 'What is my name?');
    const kept = [
      ...TOOL_TURN,
      `You ${story}`,
      `Assistant ${partial.trim()} interrupted`,
      'You What is my name?',
      'Assistant Your name is Alice.',
    ];
    // (The summary of what slid out may already be pinned first, or not yet.)
    const withoutSummary = async () =>
      (await transcript(alice)).filter((line) => !line.startsWith('Memory summary'));
    expect(await withoutSummary()).toEqual(kept);
    expect(await alice.locator('#window-turns').innerText()).toBe('3 of 3');
    // The app summarizes what slid out into a pinned prompt (onEvict, just after the write).
    await eventually(async () => {
      const response = await alice.request.get(`${url}/chat/${aliceConversation}/history`);
      return ((await response.json()) as { role: string }[])[0]?.role;
    }).toBe('system');
    await alice.reload();
    await eventually(() => transcript(alice)).toEqual([
      "Memory summary Summary of 2 earlier messages: the user's name is Alice.",
      ...kept,
    ]);
    expect(await alice.locator('#window-messages').innerText()).toBe('9');
  });

  it('6. saves a screenshot, loaded nothing from elsewhere, threw nothing; Bob signs out', async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const path = `${ARTIFACTS}chat-page.png`;
    await alice.screenshot({ path });
    expect(existsSync(path)).toBe(true);

    expect(elsewhere).toEqual([]);
    expect(pageErrors).toEqual([]);

    await bob.getByRole('button', { name: 'Sign out' }).click();
    await bob.getByLabel('Your name').waitFor();
    expect(await bob.context().cookies()).toEqual([]);
    expect((await bob.request.get(`${url}/chat`)).status()).toBe(401);
  });
});
