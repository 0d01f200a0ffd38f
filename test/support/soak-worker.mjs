// One app process of test/redis-fault-soak.e2e-spec.ts, run by plain Node against the built
// library (libs/chat-memory/dist), as a deployed app would be. Boots ChatMemoryModule, says "ready",
// waits for { go: durationMs } from the parent, then keeps CONCURRENCY appendTurn calls going on
// CONVERSATIONS shared conversations until the time is up. It reports every acknowledged
// (resolved) write as [conversation index, ...stored message ids] in batches, and the rejected
// calls as counts by error message (a rejected write may or may not have been stored).
import { NestFactory } from '@nestjs/core';
import { ChatMemoryModule, ChatMemoryService } from 'nestjs-chat-memory';

const env = process.env;
const worker = env.WORKER;
const conversations = Number(env.CONVERSATIONS);
const concurrency = Number(env.CONCURRENCY);

const context = await NestFactory.createApplicationContext(
  ChatMemoryModule.forRoot({
    url: env.REDIS_URL,
    config: { keyPrefix: env.KEY_PREFIX, maxTurns: Number(env.MAX_TURNS) },
    connection: { commandTimeoutMs: Number(env.COMMAND_TIMEOUT_MS) },
  }),
  { logger: false },
);
const memory = context.get(ChatMemoryService);
process.send({ ready: worker });
const { go: durationMs } = await new Promise((resolve) => process.once('message', resolve));
const deadline = Date.now() + durationMs;

let acknowledged = [];
let turns = 0;
let failed = 0;
const errors = {};
const flush = () => {
  if (acknowledged.length === 0) return;
  process.send({ acknowledged });
  acknowledged = [];
};
const flusher = setInterval(flush, 250);

let next = 0;
async function lane() {
  while (Date.now() < deadline) {
    const turn = next++;
    const c = Math.floor(Math.random() * conversations);
    try {
      const stored = await memory.appendTurn(`c${c}`, `q ${worker}/${turn}`, `a ${worker}/${turn}`);
      acknowledged.push([c, ...stored.map((message) => message.id)]);
      turns++;
    } catch (error) {
      failed++;
      const message = String(error?.cause?.message ?? error?.message ?? error);
      errors[message] = (errors[message] ?? 0) + 1;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}
await Promise.all(Array.from({ length: concurrency }, lane));
clearInterval(flusher);
flush();
process.send({ done: worker, turns, failed, errors });
await context.close();
process.disconnect();
