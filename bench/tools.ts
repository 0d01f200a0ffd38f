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
import { makeText } from './workload.js';

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
  const args = `{"city": ${JSON.stringify(makeText(i + 300, 24))}, "units": "metric", "days": ${(i % 5) + 1}}`;
  const result = JSON.stringify({
    forecast: makeText(i + 400, 150),
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
  label: string;
  keyPrefix: string;
  writeTurn(conversation: string, turn: ToolTurn): Promise<unknown>;
  read(conversation: string): Promise<unknown>;
  /** What a read of a conversation holding exactly `turn` gives back of it: what survived. */
  check(conversation: string, turn: ToolTurn): Promise<string[]>;
  close(): Promise<void>;
}

export interface ToolsRow {
  op: 'write turn' | 'read window';
  concurrency: number;
  competitor: string;
  label: string;
  stats?: RunStats;
  error?: string;
}

export interface ToolsMemoryRow {
  competitor: string;
  label: string;
  messages: number;
  /** Bytes of the stored entries (LRANGE), per message. */
  entryBytesPerMessage: number;
  /** `MEMORY USAGE key SAMPLES 0` summed over the keys, per message. */
  redisBytesPerMessage: number;
}

export interface ToolsResult {
  turnsPerWindow: number;
  survived: Record<string, string[]>;
  rows: ToolsRow[];
  memory: ToolsMemoryRow[];
}

async function createCompetitors(ctx: BenchContext): Promise<ToolsCompetitor[]> {
  const ours = await createOurs(ctx.url, ctx.workload, { id: 'tools-ours' });
  const memory = ours.app.get(ChatMemoryService);
  const lcPrefix = 'bench:tools-langchain';
  const config = { url: ctx.url };
  const history = (conversation: string) =>
    new RedisChatMessageHistory({
      sessionId: `${lcPrefix}:${conversation}`,
      sessionTTL: ctx.workload.ttlSeconds,
      config,
    });
  const first = history('warm');
  await first.ensureReadiness();
  return [
    {
      id: 'ours',
      label: 'ours: append(id, [user, tool call, tool result, answer])',
      keyPrefix: 'bench:tools-ours',
      writeTurn: (conversation, turn) => memory.append(conversation, oursMessages(turn)),
      read: (conversation) => memory.getHistory(conversation),
      async check(conversation, turn) {
        await memory.append(conversation, oursMessages(turn));
        const [, call, result] = await memory.getHistory(conversation);
        const survived: string[] = [];
        const stored = call.toolCalls?.[0];
        if (stored?.id === turn.callId) survived.push('tool call id');
        if (stored?.name === turn.tool) survived.push('tool name');
        if (stored?.arguments === turn.arguments) survived.push('arguments, byte for byte');
        if (result.toolCallId === turn.callId) survived.push('toolCallId');
        if (result.name === turn.tool) survived.push('tool message name');
        if (call.id !== undefined && call.createdAt !== undefined)
          survived.push('message ids and times');
        return survived;
      },
      close: () => ours.close(),
    },
    {
      id: 'langchain',
      label: 'LangChain.js RedisChatMessageHistory: addMessages([4 messages])',
      keyPrefix: lcPrefix,
      writeTurn: (conversation, turn) => history(conversation).addMessages(langchainMessages(turn)),
      read: (conversation) => history(conversation).getMessages(),
      async check(conversation, turn) {
        await history(conversation).addMessages(langchainMessages(turn));
        const [, call, result] = await history(conversation).getMessages();
        const survived: string[] = [];
        const stored = (call as AIMessage).tool_calls?.[0];
        if (stored?.id === turn.callId) survived.push('tool call id');
        if (stored?.name === turn.tool) survived.push('tool name');
        if (JSON.stringify(stored?.args) === turn.arguments)
          survived.push('arguments, byte for byte');
        else if (JSON.stringify(stored?.args) === JSON.stringify(JSON.parse(turn.arguments))) {
          survived.push('arguments, as parsed JSON');
        }
        if ((result as ToolMessage).tool_call_id === turn.callId) survived.push('toolCallId');
        if ((result as ToolMessage).name === turn.tool) survived.push('tool message name');
        if (call.id !== undefined) survived.push('message ids');
        return survived;
      },
      close: async () => {
        const client = first.client as { isOpen: boolean; quit(): Promise<unknown> };
        if (client.isOpen) await client.quit();
      },
    },
  ];
}

/** The tool-heavy workload: turn writes and window reads at each concurrency, and bytes per message. */
export const toolsSection: BenchSection = {
  name: 'tools',
  async run(ctx) {
    const { settings, workload } = ctx;
    const turns = Array.from({ length: 16 }, (_, i) => toolTurn(i));
    // The window holds maxTurns * 2 messages: that many tool turns of 4 messages fill it.
    const turnsPerWindow = Math.floor((workload.maxTurns * 2) / 4);
    const conversations = Array.from({ length: workload.conversations }, (_, c) => `t${c}`);
    const competitors = await createCompetitors(ctx);
    const result: ToolsResult = { turnsPerWindow, survived: {}, rows: [], memory: [] };
    ctx.results.extra.tools = result;
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
        await ctx.admin.flushdb('SYNC');
        result.survived[competitor.id] = await competitor.check('check', turns[0]);
        ctx.log(`tools ${competitor.id} keeps: ${result.survived[competitor.id].join(', ')}`);
      }
      for (const competitor of competitors) {
        await fill(competitor);
        const keys = conversations.map((c) => `${competitor.keyPrefix}:${c}`);
        let entryBytes = 0;
        let redisBytes = 0;
        let messages = 0;
        for (const key of keys) {
          const entries = await ctx.admin.lrange(key, 0, -1);
          messages += entries.length;
          for (const entry of entries) entryBytes += Buffer.byteLength(entry);
          redisBytes += Number(await ctx.admin.memory('USAGE', key, 'SAMPLES', 0));
        }
        result.memory.push({
          competitor: competitor.id,
          label: competitor.label,
          messages,
          entryBytesPerMessage: entryBytes / messages,
          redisBytesPerMessage: redisBytes / messages,
        });
      }
      for (const op of ['read window', 'write turn'] as const) {
        for (const concurrency of settings.concurrencies) {
          const rounds = new Map<string, RunStats[]>();
          const failed = new Map<string, string>();
          for (let round = 0; round < settings.rounds; round++) {
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
                failed.set(competitor.id, error instanceof Error ? error.message : String(error));
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

/** The markdown of the section. */
export function renderToolsMarkdown(result: ToolsResult): string {
  const out: string[] = [];
  out.push(
    `Each turn is 4 messages (user ~100 characters, an assistant tool call with ~80 characters of`,
    `JSON arguments, a ~200-character JSON tool result, an answer of ~400); windows hold`,
    `${result.turnsPerWindow} turns. LangChain.js never trims, so its lists grow during the write runs.`,
    '',
    line(['competitor', 'what a read gives back of a stored tool turn']),
    line(['---', '---']),
    ...Object.entries(result.survived).map(([id, kept]) => line([id, kept.join(', ')])),
    '',
    line([
      'operation',
      'c',
      'competitor',
      'ops/s',
      'messages/s',
      'p50 ms',
      'p99 ms',
      'client CPU µs/op',
      'vs LangChain',
    ]),
    line(['---', '---', '---', '---', '---', '---', '---', '---', '---']),
  );
  for (const row of result.rows) {
    const langchain = result.rows.find(
      (r) => r.op === row.op && r.concurrency === row.concurrency && r.competitor === 'langchain',
    );
    const ops = row.stats?.opsPerSec ?? Number.NaN;
    const messagesPerOp = row.op === 'write turn' ? 4 : 0;
    out.push(
      line([
        row.op,
        row.concurrency,
        row.label,
        row.stats ? Math.round(ops).toLocaleString('en-US') : (row.error ?? '-'),
        messagesPerOp ? Math.round(ops * messagesPerOp).toLocaleString('en-US') : '',
        row.stats?.p50Ms.toFixed(3) ?? '-',
        row.stats?.p99Ms.toFixed(3) ?? '-',
        row.stats?.cpuUsPerOp.toFixed(1) ?? '-',
        langchain?.stats ? `${(ops / langchain.stats.opsPerSec).toFixed(2)}x` : '-',
      ]),
    );
  }
  out.push(
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
