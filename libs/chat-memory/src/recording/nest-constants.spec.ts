import { Controller, Get, Sse } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { describe, expect, it } from 'vitest';
import { SSE_METADATA } from './nest-constants.js';

describe('the Nest metadata key the recording relies on', () => {
  it('is set by @Sse() on its handler, and only there', () => {
    @Controller()
    class Probe {
      @Sse('events')
      events(): void {}

      @Get('plain')
      plain(): void {}
    }
    const reflector = new Reflector();
    expect(reflector.get(SSE_METADATA, Probe.prototype.events)).toBe(true);
    expect(reflector.get(SSE_METADATA, Probe.prototype.plain)).toBeUndefined();
  });
});
