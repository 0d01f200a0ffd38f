/**
 * The tool-heavy workload: every turn of an agent is four messages, a user message, an assistant
 * tool call, the tool's result and the assistant's answer. Ours stores a turn with one
 * `append(conversationId, [4 messages])` (one round trip); LangChain.js stores the same four
 * messages with `addMessages([HumanMessage, AIMessage({ tool_calls }), ToolMessage, AIMessage])`.
 * Reads are `getHistory` against `getMessages()` of a full window of such turns.
 */
import { AIMessage, HumanMessage, ToolMessage, type BaseMessage } from '@langchain/core/messages';
import { RedisChatMessageHistory } from '@langchain/redis';
import { ChatMemoryService, type ChatMessageInput } from 'nestjs-chat-memory';
import { createOurs } from './competitors.js';
import { collectGarbage, combineRounds, runClosedLoop, type RunStats } from './harness.js';
import type { BenchContext, BenchSection } from './sections.js';
import { describeCommands, startCommandLog, startRoundTripProxy } from './round-trips.js';
import { makeText } from './workload.js';
import { windowKeyOf } from '../libs/chat-memory/src/store/redis-chat-memory.scripts.js';

/** One agent turn, the same for every competitor. */
interface ToolTurn {
  user: string;
  callId: string;
  tool: string;
  /** The arguments as the model produced them (JSON text, ~80 characters). */
  arguments: string;
  /** The tool's result (JSON text, ~200 characters). */
  result: string;
  answer: string;
}

function toolTurn(i: number): ToolTurn {
  // As a model writes them: spaces after ":" and ",", which a re-serialization would lose.
  const args = `{"city": ${JSON.stringify(makeText(i + 300, 24))}, "units": "metric", "days": ${(i % 5) + 1}, "lang": "en"}`;
  const result = JSON.stringify({
    forecast: makeText(i + 400, 167),
    high: 10 + (i % 15),
    low: i % 10,
  });
  return {
    user: makeText(i + 200, 100),
    callId: `call_${(i * 2654435761).toString(36).slice(0, 12)}`,
    tool: 'weather',
    arguments: args,
    result,
    answer: makeText(i + 500, 400),
  };
}

const oursMessages = (turn: ToolTurn): ChatMessageInput[] => [
  { role: 'user', content: turn.user },
  {
    role: 'assistant',
    content: '',
    toolCalls: [{ id: turn.callId, name: turn.tool, arguments: turn.arguments }],
  },
  { role: 'tool', toolCallId: turn.callId, name: turn.tool, content: turn.result },
  { role: 'assistant', content: turn.answer },
];

const langchainMessages = (turn: ToolTurn): BaseMessage[] => [
  new HumanMessage(turn.user),
  new AIMessage({
    content: '',
    tool_calls: [
      { id: turn.callId, name: turn.tool, args: JSON.parse(turn.arguments), type: 'tool_call' },
    ],
  }),
  new ToolMessage({ content: turn.result, tool_call_id: turn.callId, name: turn.tool }),
  new AIMessage(turn.answer),
];

interface ToolsCompetitor {
  id: string;
  /** Row label in the tables. */
  label: string;
  /** The call that writes a turn, and the one that reads a window, as the tables show them. */
  calls: Record<ToolsOp, string>;
  keyPrefix: string;
  writeTurn(conversation: string, turn: ToolTurn): Promise<unknown>;
  read(conversation: string): Promise<unknown>;
  /** Reads back a conversation that holds exactly `turn`: what came back of what was written. */
  check(conversation: string, turn: ToolTurn): Promise<ToolsCheck>;
  close(): Promise<void>;
}

export type ToolsOp = 'write turn' | 'read window';

/** What a read gives back of a stored tool turn. */
export interface ToolsCheck {
  /** What the caller wrote and got back unchanged. */
  kept: string[];
  /** What the caller wrote and did not get back as written (with what came back instead). */
  lost: string[];
  /** What the store added on its own. */
  added: string[];
}

export interface ToolsRow {
  op: ToolsOp;
  concurrency: number;
  competitor: string;
  label: string;
  call: string;
  stats?: RunStats;
  error?: string;
}

export interface ToolsRoundTripRow {
  op: ToolsOp;
  competitor: string;
  label: string;
  call: string;
  ops: number;
  roundTripsPerOp: number;
  commands: string;
  scriptCommands: string;
  error?: string;
}

export interface ToolsMemoryRow {
  competitor: string;
  label: string;
  messages: number;
  /** Bytes of the stored entries (LRANGE), per message. */
  entryBytesPerMessage: number;
  /** `MEMORY USAGE key SAMPLES 0` summed over the keys (for ours, with the window hash beside each list), per message. */
  redisBytesPerMessage: number;
}

export interface ToolsResult {
  turnsPerWindow: number;
  checks: Record<string, ToolsCheck>;
  roundTrips: ToolsRoundTripRow[];
  rows: ToolsRow[];
  memory: ToolsMemoryRow[];
}

/** The checks both competitors answer, on the four messages read back (`undefined` when missing). */
function checkTurn(
  turn: ToolTurn,
  read: {
    roles: string[];
    contents: unknown[];
    callId: unknown;
    callName: unknown;
    /** The arguments as they came back: text for ours, an object for LangChain. */
    args: unknown;
    toolCallId: unknown;
    toolName: unknown;
  },
): ToolsCheck {
  const kept: string[] = [];
  const lost: string[] = [];
  const add = (what: string, ok: boolean, instead?: string) =>
    ok ? kept.push(what) : lost.push(instead ? `${what} (${instead})` : what);
  add(
    'roles and order of the 4 messages',
    read.roles.join(',') === 'user,assistant,tool,assistant',
    `read back ${read.roles.join(', ')}`,
  );
  const written = [turn.user, '', turn.result, turn.answer];
  add(
    'contents',
    read.contents.length === 4 && written.every((content, k) => read.contents[k] === content),
  );
  add('tool call id', read.callId === turn.callId);
  add('tool name', read.callName === turn.tool);
  if (read.args === turn.arguments) add('tool call arguments, byte for byte', true);
  else {
    const asJson = JSON.stringify(read.args);
    add(
      'tool call arguments, byte for byte',
      false,
      asJson === JSON.stringify(JSON.parse(turn.arguments))
        ? `given back parsed, as an object: the same JSON value, but not the model's text; re-serialized it is ${asJson.length} characters where the model wrote ${turn.arguments.length}`
        : `read back ${asJson}`,
    );
  }
  add('toolCallId of the tool message', read.toolCallId === turn.callId);
  add('name of the tool message', read.toolName === turn.tool);
  return { kept, lost, added: [] };
}

async function createCompetitors(
  url: string,
  ctx: BenchContext,
  withLangChain: boolean,
): Promise<ToolsCompetitor[]> {
  const ours = await createOurs(url, ctx.workload, { id: 'tools-ours' });
  const memory = ours.app.get(ChatMemoryService);
  const competitors: ToolsCompetitor[] = [
    {
      id: 'ours',
      label: 'ours (ChatMemoryService)',
      calls: { 'write turn': 'append(id, [4 messages])', 'read window': 'getHistory(id)' },
      keyPrefix: 'bench:tools-ours',
      writeTurn: (conversation, turn) => memory.append(conversation, oursMessages(turn)),
      read: (conversation) => memory.getHistory(conversation),
      async check(conversation, turn) {
        await memory.append(conversation, oursMessages(turn));
        const messages = await memory.getHistory(conversation);
        const [, call, result] = messages;
        const checked = checkTurn(turn, {
          roles: messages.map((m) => m.role),
          contents: messages.map((m) => m.content),
          callId: call?.toolCalls?.[0]?.id,
          callName: call?.toolCalls?.[0]?.name,
          args: call?.toolCalls?.[0]?.arguments,
          toolCallId: result?.toolCallId,
          toolName: result?.name,
        });
        if (messages.every((m) => m.id !== undefined && m.createdAt !== undefined)) {
          checked.added.push('message ids and createdAt');
        }
        return checked;
      },
      close: () => ours.close(),
    },
  ];
  if (!withLangChain) return competitors;
  const keyPrefix = 'bench:tools-langchain';
  // A config object of its own: @langchain/redis pools one client per config object.
  const config = { url };
  const history = (conversation: string) =>
    new RedisChatMessageHistory({
      sessionId: `${keyPrefix}:${conversation}`,
      sessionTTL: ctx.workload.ttlSeconds,
      config,
    });
  const first = history('warm');
  // Its lazy connect is not safe for concurrent first calls: connect once up front.
  await first.ensureReadiness();
  competitors.push({
    id: 'langchain',
    label: 'LangChain.js RedisChatMessageHistory',
    calls: { 'write turn': 'addMessages([4 messages])', 'read window': 'getMessages()' },
    keyPrefix,
    writeTurn: (conversation, turn) => history(conversation).addMessages(langchainMessages(turn)),
    read: (conversation) => history(conversation).getMessages(),
    async check(conversation, turn) {
      await history(conversation).addMessages(langchainMessages(turn));
      const messages = await history(conversation).getMessages();
      const call = messages[1] as AIMessage | undefined;
      const result = messages[2] as ToolMessage | undefined;
      const roles: Record<string, string> = { human: 'user', ai: 'assistant', tool: 'tool' };
      const checked = checkTurn(turn, {
        roles: messages.map((m) => roles[m.getType()] ?? m.getType()),
        contents: messages.map((m) => m.content),
        callId: call?.tool_calls?.[0]?.id,
        callName: call?.tool_calls?.[0]?.name,
        args: call?.tool_calls?.[0]?.args,
        toolCallId: result?.tool_call_id,
        toolName: result?.name,
      });
      if (messages.every((m) => m.id !== undefined)) checked.added.push('message ids');
      return checked;
    },
    close: async () => {
      const client = first.client as { isOpen: boolean; quit(): Promise<unknown> };
      if (client.isOpen) await client.quit();
    },
  });
  return competitors;
}

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * What a read gives back of a stored turn, and round trips per call counted by the proxy (one
 * call at a time, as in the round-trips section) with the commands `MONITOR` saw: both through
 * competitors connected to the proxy, before anything is measured.
 */
async function checkAndCountRoundTrips(
  ctx: BenchContext,
  result: ToolsResult,
  turns: ToolTurn[],
  conversations: string[],
  withLangChain: boolean,
): Promise<void> {
  const proxy = await startRoundTripProxy(ctx.port);
  const competitors = await createCompetitors(proxy.url, ctx, withLangChain);
  try {
    for (const competitor of competitors) {
      await ctx.admin.flushdb('SYNC');
      const checked = await competitor.check('check', turns[0]);
      result.checks[competitor.id] = checked;
      ctx.log(
        `tools ${competitor.id} keeps: ${checked.kept.join(', ')}${checked.lost.length ? `; LOSES: ${checked.lost.join('; ')}` : ''}`,
      );
      if (competitor.id === 'ours' && checked.lost.length > 0) {
        ctx.results.errors.push(
          `tools: ours did not give back what it stored: ${checked.lost.join('; ')}`,
        );
      }
      // Full windows first, so that writes trim and reads return a whole window, as when measured.
      const n = Math.min(ctx.settings.roundTripOps, conversations.length);
      for (let t = 0; t < result.turnsPerWindow; t++) {
        for (let i = 0; i < n; i++) {
          await competitor.writeTurn(conversations[i], turns[(i + t) % turns.length]);
        }
      }
      for (const op of ['write turn', 'read window'] as const) {
        const call = (i: number) =>
          op === 'write turn'
            ? competitor.writeTurn(conversations[i], turns[i % turns.length])
            : competitor.read(conversations[i]);
        try {
          const log = await startCommandLog(ctx.url);
          proxy.reset();
          for (let i = 0; i < n; i++) await call(i);
          const roundTrips = proxy.roundTrips();
          const { topLevel, inScripts } = await log.stop();
          result.roundTrips.push({
            op,
            competitor: competitor.id,
            label: competitor.label,
            call: competitor.calls[op],
            ops: n,
            roundTripsPerOp: roundTrips / n,
            commands: describeCommands(topLevel, n),
            scriptCommands: describeCommands(inScripts, n),
          });
          ctx.log(
            `tools round trips ${competitor.id} ${op}: ${roundTrips / n} (${describeCommands(topLevel, n)})`,
          );
        } catch (error) {
          result.roundTrips.push({
            op,
            competitor: competitor.id,
            label: competitor.label,
            call: competitor.calls[op],
            ops: 0,
            roundTripsPerOp: Number.NaN,
            commands: '',
            scriptCommands: '',
            error: errorText(error),
          });
        }
      }
    }
  } finally {
    for (const competitor of competitors) await competitor.close();
    await proxy.close();
  }
}

/** The tool-heavy workload: turn writes and window reads at each concurrency, and bytes per message. */
export const toolsSection: BenchSection = {
  name: 'tools',
  async run(ctx) {
    const { settings, workload } = ctx;
    const turns = Array.from({ length: 16 }, (_, i) => toolTurn(i));
    // The window holds maxTurns turns (a turn starts at a user message): a tool turn of 4
    // messages is one turn, so maxTurns of them fill it.
    const turnsPerWindow = workload.maxTurns;
    const conversations = Array.from({ length: workload.conversations }, (_, c) => `t${c}`);
    const withLangChain = settings.competitors.includes('langchain');
    const result: ToolsResult = {
      turnsPerWindow,
      checks: {},
      roundTrips: [],
      rows: [],
      memory: [],
    };
    ctx.results.extra.tools = result;
    await checkAndCountRoundTrips(ctx, result, turns, conversations, withLangChain);
    const competitors = await createCompetitors(ctx.url, ctx, withLangChain);
    // Empties the server and writes full windows (turnsPerWindow turns) through the competitor.
    const fill = async (competitor: ToolsCompetitor) => {
      await ctx.admin.flushdb('SYNC');
      for (let t = 0; t < turnsPerWindow; t++) {
        await Promise.all(
          conversations.map((c, i) => competitor.writeTurn(c, turns[(i + t) % turns.length])),
        );
      }
    };
    try {
      for (const competitor of competitors) {
        await fill(competitor);
        let entryBytes = 0;
        let redisBytes = 0;
        let messages = 0;
        for (const c of conversations) {
          const key = `${competitor.keyPrefix}:${c}`;
          const entries = await ctx.admin.lrange(key, 0, -1);
          messages += entries.length;
          for (const entry of entries) entryBytes += Buffer.byteLength(entry);
          redisBytes += Number(await ctx.admin.memory('USAGE', key, 'SAMPLES', 0));
          redisBytes += Number(
            (await ctx.admin.memory('USAGE', windowKeyOf(key), 'SAMPLES', 0)) ?? 0,
          );
        }
        result.memory.push({
          competitor: competitor.id,
          label: competitor.label,
          messages,
          entryBytesPerMessage: entryBytes / messages,
          redisBytesPerMessage: redisBytes / messages,
        });
      }
      for (const op of ['write turn', 'read window'] as const) {
        for (const concurrency of settings.concurrencies) {
          const rounds = new Map<string, RunStats[]>();
          const failed = new Map<string, string>();
          for (let round = 0; round < settings.rounds; round++) {
            // Competitors take turns, starting one further each round, as in the throughput section.
            for (let k = 0; k < competitors.length; k++) {
              const competitor = competitors[(k + round) % competitors.length];
              if (failed.has(competitor.id)) continue;
              try {
                await fill(competitor);
                collectGarbage();
                const operation =
                  op === 'read window'
                    ? (i: number) => competitor.read(conversations[i % conversations.length])
                    : (i: number) =>
                        competitor.writeTurn(
                          conversations[i % conversations.length],
                          turns[i % turns.length],
                        );
                await runClosedLoop(operation, concurrency, settings.warmupMs, false);
                const stats = await runClosedLoop(operation, concurrency, settings.durationMs);
                rounds.set(competitor.id, [...(rounds.get(competitor.id) ?? []), stats]);
              } catch (error) {
                failed.set(competitor.id, errorText(error));
              }
            }
          }
          for (const competitor of competitors) {
            const stats = rounds.get(competitor.id);
            const error = failed.get(competitor.id);
            result.rows.push({
              op,
              concurrency,
              competitor: competitor.id,
              label: competitor.label,
              call: competitor.calls[op],
              ...(stats ? { stats: combineRounds(stats) } : {}),
              ...(error ? { error } : {}),
            });
            ctx.log(
              `tools ${op} c=${concurrency} ${competitor.id}: ${stats ? Math.round(combineRounds(stats).opsPerSec) : '-'} ops/s${error ? ` ERROR ${error}` : ''}`,
            );
          }
        }
      }
    } finally {
      for (const competitor of competitors) await competitor.close();
    }
  },
};

const line = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;

const list = (items: string[] | undefined) => (items?.length ? items.join('; ') : '-');

/** The markdown of the section. */
export function renderToolsMarkdown(result: ToolsResult): string {
  const out: string[] = [];
  out.push(
    `Each turn is 4 messages (user ~100 characters, an assistant tool call with ~80 characters of`,
    `JSON arguments, a ~200-character JSON tool result, an answer of ~400); windows hold`,
    `${result.turnsPerWindow} turns (every conversation is filled with full windows before each case).`,
    `LangChain.js never trims, so its lists grow during the write runs.`,
    '',
    'What a read gives back of a stored turn, checked once per competitor before measuring:',
    '',
    line([
      'competitor',
      'written and given back',
      'written and NOT given back as written',
      'added by the store',
    ]),
    line(['---', '---', '---', '---']),
    ...Object.entries(result.checks).map(([id, checked]) =>
      line([id, list(checked.kept), list(checked.lost), list(checked.added)]),
    ),
    '',
    'Round trips per call, counted one call at a time by the TCP proxy of the round-trips section, and the commands `MONITOR` saw per call:',
    '',
    line([
      'competitor',
      'operation',
      'call',
      'round trips / op',
      'commands / op',
      'inside the script',
    ]),
    line(['---', '---', '---', '---', '---', '---']),
    ...result.roundTrips.map((r) =>
      line([
        r.label,
        r.op,
        `\`${r.call}\``,
        r.error ? `error: ${r.error}` : String(+r.roundTripsPerOp.toFixed(2)),
        r.commands,
        r.scriptCommands,
      ]),
    ),
    '',
    'Closed loop, `c` calls in flight over the conversations, as in the throughput section; ' +
      'messages/s counts the 4 messages of a turn written, or the messages of the window read.',
    '',
    line([
      'operation',
      'c',
      'competitor',
      'call',
      'ops/s',
      'messages/s',
      'p50 ms',
      'p99 ms',
      'client CPU µs/op',
      'vs LangChain',
    ]),
    line(['---', '---', '---', '---', '---', '---', '---', '---', '---', '---']),
  );
  for (const row of result.rows) {
    const langchain = result.rows.find(
      (r) => r.op === row.op && r.concurrency === row.concurrency && r.competitor === 'langchain',
    );
    const ops = row.stats?.opsPerSec ?? Number.NaN;
    const messagesPerOp = row.op === 'write turn' ? 4 : result.turnsPerWindow * 4;
    out.push(
      line([
        row.op,
        row.concurrency,
        row.label,
        `\`${row.call}\``,
        row.stats ? Math.round(ops).toLocaleString('en-US') : `error: ${row.error ?? '-'}`,
        row.stats ? Math.round(ops * messagesPerOp).toLocaleString('en-US') : '-',
        row.stats?.p50Ms.toFixed(3) ?? '-',
        row.stats?.p99Ms.toFixed(3) ?? '-',
        row.stats?.cpuUsPerOp.toFixed(1) ?? '-',
        langchain?.stats && row.stats ? `${(ops / langchain.stats.opsPerSec).toFixed(2)}x` : '-',
      ]),
    );
  }
  out.push(
    '',
    'Bytes per message after writing full windows through the competitor (as in the memory section):',
    '',
    line([
      'competitor',
      'messages',
      'entry bytes / message',
      'Redis bytes / message (MEMORY USAGE)',
    ]),
    line(['---', '---', '---', '---']),
    ...result.memory.map((m) =>
      line([
        m.label,
        m.messages,
        Math.round(m.entryBytesPerMessage),
        Math.round(m.redisBytesPerMessage),
      ]),
    ),
  );
  return out.join('\n');
}
