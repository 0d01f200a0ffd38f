import { Controller, Get, Header } from '@nestjs/common';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/**
 * The folder of the page's files, `src/public`, found from this file: `src/page/` when the app runs
 * from its TypeScript sources (the tests), `dist/page/` when it runs built (`npm start`, where tsc
 * copies no .html, .js or .css); both are two levels below the project root.
 */
const PUBLIC_DIR = fileURLToPath(new URL('../../src/public/', import.meta.url));

/**
 * Everything the page loads comes from this app (no CDN, no web fonts): it works offline, and the
 * browser refuses anything else. `data:` images are the blank favicon.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "img-src 'self' data:",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

/**
 * Serves the chat page, plain HTML, CSS and JavaScript from `src/public` with no build step: `/`,
 * `/app.js` and `/styles.css`, each with its content type. Read on each request, so an edit shows
 * on reload.
 */
@Controller()
export class PageController {
  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Content-Security-Policy', CONTENT_SECURITY_POLICY)
  @Header('Cache-Control', 'no-cache')
  @Header('X-Content-Type-Options', 'nosniff')
  index(): Promise<string> {
    return readPublic('index.html');
  }

  @Get('app.js')
  @Header('Content-Type', 'text/javascript; charset=utf-8')
  @Header('Cache-Control', 'no-cache')
  @Header('X-Content-Type-Options', 'nosniff')
  script(): Promise<string> {
    return readPublic('app.js');
  }

  @Get('styles.css')
  @Header('Content-Type', 'text/css; charset=utf-8')
  @Header('Cache-Control', 'no-cache')
  @Header('X-Content-Type-Options', 'nosniff')
  styles(): Promise<string> {
    return readPublic('styles.css');
  }
}

function readPublic(file: string): Promise<string> {
  return readFile(`${PUBLIC_DIR}${file}`, 'utf8');
}
