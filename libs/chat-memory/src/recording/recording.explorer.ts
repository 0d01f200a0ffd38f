import { MetadataScanner, type ModulesContainer, type Reflector } from '@nestjs/core';
import { ChatMemoryDecoratorError } from '../chat-memory.errors.js';
import { DecoratorMessages } from '../chat-memory.messages.js';
import { recorderClasses, type RecorderStatus } from './recorder-classes.js';
import { readRecordedHandler } from './record-chat-turn.metadata.js';

const checked = new WeakSet<ModulesContainer>();

/**
 * @internal Checks, once per application, every controller handler that uses the recording
 * decorators: `@RecordChatTurn()` needs the service of its instance visible in the controller's
 * module (Nest injected it into the interceptor there, or not), and `@ConversationHistory()` needs
 * `@RecordChatTurn()`. Throws one `ChatMemoryDecoratorError` that names every handler at fault.
 * Runs at boot from every handler with `@ConversationHistory()` (`RecordingSetupCheck`), and from
 * every recording interceptor that found no service.
 */
export function assertRecordingSetup(modules: ModulesContainer, reflector: Reflector): void {
  if (checked.has(modules)) return;
  checked.add(modules);
  const scanner = new MetadataScanner();
  const problems: string[] = [];
  for (const module of modules.values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype;
      if (typeof controller !== 'function') continue;
      const prototype: object = controller.prototype;
      for (const method of scanner.getAllMethodNames(prototype)) {
        const handler: unknown = Reflect.get(prototype, method);
        if (typeof handler !== 'function') continue;
        const { name, options, wantsHistory } = readRecordedHandler(reflector, controller, handler);
        if (!options) {
          if (wantsHistory) problems.push(DecoratorMessages.historyWithoutRecording(name));
          continue;
        }
        const recorderClass = recorderClasses.get(options.memory);
        const recorder = recorderClass && module.injectables.get(recorderClass)?.instance;
        if (isRecorder(recorder) && !recorder.hasMemory) {
          problems.push(DecoratorMessages.noMemory(name, options.memory, module.metatype.name));
        }
      }
    }
  }
  if (problems.length > 0) throw new ChatMemoryDecoratorError(problems);
}

const isRecorder = (value: unknown): value is RecorderStatus =>
  typeof value === 'object' && value !== null && 'hasMemory' in value;
