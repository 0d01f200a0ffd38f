import { Inject, Injectable, type CanActivate, type OnModuleInit } from '@nestjs/common';
import { ModulesContainer, Reflector } from '@nestjs/core';
import { assertRecordingSetup } from './recording.explorer.js';

/**
 * @internal Added by `@ConversationHistory()` to its handler, so that the boot check of the
 * recording decorators runs even in an application without any `ChatMemoryModule`. It lets every
 * request through.
 */
@Injectable()
export class RecordingSetupCheck implements CanActivate, OnModuleInit {
  constructor(
    @Inject(ModulesContainer) private readonly modules: ModulesContainer,
    @Inject(Reflector) private readonly reflector: Reflector,
  ) {}

  onModuleInit(): void {
    assertRecordingSetup(this.modules, this.reflector);
  }

  canActivate(): boolean {
    return true;
  }
}
