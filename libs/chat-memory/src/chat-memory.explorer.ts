import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { ModulesContainer, Reflector } from '@nestjs/core';
import { assertRecordingSetup } from './recording/recording.explorer.js';

/**
 * @internal Runs the boot check of the recording decorators when a `ChatMemoryModule` starts
 * (once per application, whatever the number of instances).
 */
@Injectable()
export class ChatMemoryExplorer implements OnModuleInit {
  constructor(
    @Inject(ModulesContainer) private readonly modules: ModulesContainer,
    @Inject(Reflector) private readonly reflector: Reflector,
  ) {}

  onModuleInit(): void {
    assertRecordingSetup(this.modules, this.reflector);
  }
}
