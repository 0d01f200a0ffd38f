/**
 * The calculator tool of the example agent: arithmetic on decimal numbers with `+ - * / % ^`
 * (also `×` and `÷`), parentheses and unary minus. A small recursive-descent parser, no `eval`:
 * anything else in the expression is an error, not code.
 */

/** The tool's name, as the model calls it. */
export const CALCULATOR_TOOL = 'calculator';

/** Longest expression the calculator accepts, and deepest nesting of parentheses. */
const MAX_EXPRESSION_LENGTH = 200;
const MAX_DEPTH = 20;

/** An expression the calculator cannot evaluate; the message says why. */
export class CalculatorError extends Error {
  override readonly name = 'CalculatorError';
}

type Token = { kind: 'number'; value: number } | { kind: 'op'; value: string };

function tokenize(expression: string): Token[] {
  const tokens: Token[] = [];
  const pattern = /\s*(?:(\d+(?:\.\d*)?|\.\d+)|([-+*/%^()×÷]))/y;
  let index = 0;
  while (index < expression.length) {
    if (/^\s*$/.test(expression.slice(index))) break;
    pattern.lastIndex = index;
    const match = pattern.exec(expression);
    if (!match) {
      const [at] = expression.slice(index).trimStart();
      throw new CalculatorError(`unexpected character ${JSON.stringify(at)}`);
    }
    if (match[1] !== undefined) tokens.push({ kind: 'number', value: Number(match[1]) });
    else {
      const op = match[2] === '×' ? '*' : match[2] === '÷' ? '/' : match[2];
      tokens.push({ kind: 'op', value: op });
    }
    index = pattern.lastIndex;
  }
  return tokens;
}

const tokenText = (token: Token): string =>
  token.kind === 'number' ? `number ${token.value}` : JSON.stringify(token.value);

const isOp = (token: Token | undefined, ...ops: string[]): boolean =>
  token?.kind === 'op' && ops.includes(token.value);

/**
 * Evaluates `expression`; throws a `CalculatorError` for a malformed expression, a division by
 * zero or a result that is not a finite number. `^` is a power (right-associative).
 */
export function calculate(expression: string): number {
  if (expression.length > MAX_EXPRESSION_LENGTH) {
    throw new CalculatorError(`expression longer than ${MAX_EXPRESSION_LENGTH} characters`);
  }
  const tokens = tokenize(expression);
  let position = 0;
  let depth = 0;
  const peek = (): Token | undefined => tokens[position];

  // sum := product (('+' | '-') product)*
  const sum = (): number => {
    let value = product();
    while (isOp(peek(), '+', '-')) {
      const op = tokens[position++].value;
      const right = product();
      value = op === '+' ? value + right : value - right;
    }
    return value;
  };
  // product := unary (('*' | '/' | '%') unary)*
  const product = (): number => {
    let value = unary();
    while (isOp(peek(), '*', '/', '%')) {
      const op = tokens[position++].value;
      const right = unary();
      if (op !== '*' && right === 0) throw new CalculatorError('division by zero');
      value = op === '*' ? value * right : op === '/' ? value / right : value % right;
    }
    return value;
  };
  // unary := ('-' | '+') unary | power
  const unary = (): number => {
    if (isOp(peek(), '-', '+')) {
      const op = tokens[position++].value;
      const value = unary();
      return op === '-' ? -value : value;
    }
    return power();
  };
  // power := atom ('^' unary)?
  const power = (): number => {
    const base = atom();
    if (!isOp(peek(), '^')) return base;
    position++;
    return base ** unary();
  };
  // atom := number | '(' sum ')'
  const atom = (): number => {
    const token = tokens[position++];
    if (token?.kind === 'number') return token.value;
    if (isOp(token, '(')) {
      if (++depth > MAX_DEPTH) throw new CalculatorError('parentheses nested too deeply');
      const value = sum();
      if (!isOp(tokens[position++], ')')) throw new CalculatorError('missing ")"');
      depth--;
      return value;
    }
    throw new CalculatorError(token ? `unexpected ${tokenText(token)}` : 'incomplete expression');
  };

  if (tokens.length === 0) throw new CalculatorError('empty expression');
  const value = sum();
  if (position < tokens.length) {
    throw new CalculatorError(`unexpected ${tokenText(tokens[position])}`);
  }
  if (!Number.isFinite(value)) throw new CalculatorError('the result is not a finite number');
  return value;
}

/** A result as text: at most 12 significant digits, no `-0`, no exponent below 1e21. */
export function formatNumber(value: number): string {
  const rounded = Number(value.toPrecision(12));
  return String(rounded === 0 ? 0 : rounded);
}

/**
 * Runs the calculator on the JSON text of a tool call's arguments (`{"expression":"12 * 7"}`),
 * as an agent would: the result is the text of the `tool` message, and so is an error
 * (`Error: division by zero`), for the model to read.
 */
export function runCalculator(argumentsJson: string): string {
  try {
    const args: unknown = JSON.parse(argumentsJson);
    const expression = (args as { expression?: unknown } | null)?.expression;
    if (typeof expression !== 'string') {
      throw new CalculatorError('the arguments need an "expression" string');
    }
    return formatNumber(calculate(expression));
  } catch (error) {
    return `Error: ${error instanceof Error ? error.message : String(error)}`;
  }
}
