// One replica of a small app, run as a separate Node process by test/many-replicas.e2e-spec.ts.
// Plain JavaScript against the built library (libs/chat-memory/dist), as a deployed app would be.
// Boots two ChatMemoryModule contexts on the same Redis (a wide window and a narrow one), waits for
// "go" from the parent, then appends TURNS turns to CONVERSATIONS conversations, CONCURRENCY at a time.
// With OWNERS (comma-separated), turn t goes to the conversation of owner OWNERS[t % n].
import { NestFactory } from '@nestjs/core';
import { ChatMemoryModule, ChatMemoryService } from 'nestjs-chat-memory';

const env = process.env;
const worker = env.WORKER;
const turns = Number(env.TURNS);
const conversations = Number(env.CONVERSATIONS);
const concurrency = Number(env.CONCURRENCY);
const padding = 'é🙂x'.repeat(200);
const owners = env.OWNERS ? env.OWNERS.split(',') : [];
/** The service for turn `turn`: scoped to its owner when there are owners. */
const scoped = (service, turn) =>
  owners.length === 0 ? service : service.forOwner(owners[turn % owners.length]);

async function memory(keyPrefix, maxTurns) {
  const options = { url: env.REDIS_URL, config: { keyPrefix, maxTurns } };
  const context = await NestFactory.createApplicationContext(ChatMemoryModule.forRoot(options), {
    logger: false,
  });
  return { context, service: context.get(ChatMemoryService) };
}

const wide = await memory(env.WIDE_PREFIX, Number(env.WIDE_MAX_TURNS));
const narrow = await memory(env.NARROW_PREFIX, Number(env.NARROW_MAX_TURNS));
process.send({ ready: worker });
await new Promise((resolve) => process.once('message', resolve));

let next = 0;
async function lane() {
  while (next < turns) {
    const turn = next++;
    const id = `c${turn % conversations}`;
    const user = `q ${worker}/${turn} ${padding}`;
    const assistant = `a ${worker}/${turn} ${padding}`;
    await Promise.all([
      scoped(wide.service, turn).appendTurn(id, user, assistant),
      scoped(narrow.service, turn).appendTurn(id, user, assistant),
    ]);
  }
}
await Promise.all(Array.from({ length: concurrency }, lane));
await wide.context.close();
await narrow.context.close();
process.send({ done: worker, turns });
process.disconnect();
