/**
 * The example's sign-in: a user name in a cookie. A demo, not authentication: anyone can send
 * any name. A real app resolves the owner from what its auth guard verified (a session, a JWT).
 */

/** The cookie that holds the signed-in user's name. */
export const CHAT_USER_COOKIE = 'chat_user';

/**
 * A user name: 1-32 letters, digits, `_`, `.` or `-`, starting with a letter or digit. The name is
 * the owner of the user's conversations, so it stays within what the library accepts as an owner.
 */
export const CHAT_USER_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/;

/** How long the sign-in lasts, in seconds: a week. */
const COOKIE_MAX_AGE_SECONDS = 7 * 24 * 60 * 60;

/**
 * The signed-in user of a request (Express or Fastify): the `chat_user` cookie of its `Cookie`
 * header, when it is a valid name; `undefined` otherwise. The app's owner resolver.
 */
export function chatUserOf(request: unknown): string | undefined {
  const header = (request as { headers?: Record<string, unknown> } | null)?.headers?.cookie;
  if (typeof header !== 'string') return undefined;
  // "a=1; chat_user=ada; b=2": the first cookie of that name counts, as browsers send the most
  // specific one first.
  for (const pair of header.split(';')) {
    const at = pair.indexOf('=');
    if (at < 0 || pair.slice(0, at).trim() !== CHAT_USER_COOKIE) continue;
    const value = pair.slice(at + 1).trim();
    return CHAT_USER_PATTERN.test(value) ? value : undefined;
  }
  return undefined;
}

/**
 * The `Set-Cookie` value that signs `name` in: HttpOnly (page scripts cannot read it) and
 * SameSite=Lax (other sites cannot make the browser send it with their POSTs). Not `Secure`, so
 * that it works on http://localhost; behind HTTPS, add it.
 */
export function signInCookie(name: string): string {
  return `${CHAT_USER_COOKIE}=${name}; Path=/; Max-Age=${COOKIE_MAX_AGE_SECONDS}; HttpOnly; SameSite=Lax`;
}

/** The `Set-Cookie` value that signs out: the same cookie, expired. */
export function signOutCookie(): string {
  return `${CHAT_USER_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax`;
}
