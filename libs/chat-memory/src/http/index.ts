export { ChatMemoryExceptionFilter } from './chat-memory-exception.filter.js';
