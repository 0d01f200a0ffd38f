import {
  Catch,
  HttpStatus,
  Logger,
  type ArgumentsHost,
  type ExceptionFilter,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { LOGGER_CONTEXT } from '../chat-memory.constants.js';
import {
  ChatMemoryError,
  ChatMemoryStoreError,
  ChatMemoryValidationError,
  InvalidOwnerError,
} from '../chat-memory.errors.js';

/**
 * Turns chat-memory errors that reach an HTTP response into proper answers: a
 * `ChatMemoryValidationError` is `400 Bad Request` with its message (`401 Unauthorized` for an
 * `InvalidOwnerError`: the owner resolver found no owner), a `ChatMemoryStoreError` is
 * `503 Service Unavailable` (details logged, not sent). Works with Express and Fastify.
 *
 * ```ts
 * app.useGlobalFilters(new ChatMemoryExceptionFilter(app.get(HttpAdapterHost)));
 * ```
 */
@Catch(ChatMemoryError)
export class ChatMemoryExceptionFilter implements ExceptionFilter<ChatMemoryError> {
  private readonly logger = new Logger(LOGGER_CONTEXT);

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(error: ChatMemoryError, host: ArgumentsHost): void {
    const { httpAdapter } = this.adapterHost;
    const response = host.switchToHttp().getResponse();
    let statusCode: number = HttpStatus.INTERNAL_SERVER_ERROR;
    let body: Record<string, unknown>;
    if (error instanceof InvalidOwnerError) {
      // From the module's owner resolver: the request has no (valid) owner.
      statusCode = HttpStatus.UNAUTHORIZED;
      body = { statusCode, error: 'Unauthorized', message: error.message, field: error.field };
    } else if (error instanceof ChatMemoryValidationError) {
      statusCode = HttpStatus.BAD_REQUEST;
      body = { statusCode, error: 'Bad Request', message: error.message, field: error.field };
    } else if (error instanceof ChatMemoryStoreError) {
      statusCode = HttpStatus.SERVICE_UNAVAILABLE;
      this.logger.error(error.message);
      body = {
        statusCode,
        error: 'Service Unavailable',
        message: 'Conversation memory is unavailable',
      };
    } else {
      this.logger.error(error.message, error.stack);
      body = { statusCode, error: 'Internal Server Error', message: 'Internal server error' };
    }
    httpAdapter.reply(response, body, statusCode);
  }
}
