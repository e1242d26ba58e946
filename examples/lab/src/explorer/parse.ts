// The explorer's language: a few lines of `name = expression`, parsed by a tiny recursive-descent grammar.
// User text is never evaluated as JavaScript: it becomes this syntax tree, and evaluate.ts maps the tree onto
// tapegrad ops from a fixed table.
//
//   program   := line (('\n' | ';') line)*
//   line      := [name '='] expr | (empty) ; '#' starts a comment
//   expr      := term (('+' | '-') term)*
//   term      := unary (('*' | '/' | '@') unary)*
//   unary     := '-' unary | power
//   power     := primary ['^' unary]                 (right-associative: -x^2 = -(x^2), 2^-1 = 0.5)
//   primary   := number | literal | name | name '(' [expr (',' expr)*] ')' | '(' expr ')'
//   literal   := '[' item (',' item)* ']'            item := ['-'] number | literal
import { ValueError, type NestedArray } from '@tapegrad/tensor';

/** An expression node; `pos` is the character offset where it starts. */
export type Expr =
  | { kind: 'number'; value: number; pos: number }
  | { kind: 'literal'; value: NestedArray; pos: number }
  | { kind: 'name'; name: string; pos: number }
  | { kind: 'neg'; arg: Expr; pos: number }
  | { kind: 'binary'; op: BinaryOperator; left: Expr; right: Expr; pos: number }
  | { kind: 'call'; fn: string; args: Expr[]; pos: number };

/** The infix operators: `@` is the matrix product, `^` the power. */
export type BinaryOperator = '+' | '-' | '*' | '/' | '@' | '^';

/** One line of a program: `name = expr`, or a bare expression (then `name` is null). */
export interface Statement {
  name: string | null;
  expr: Expr;
  /** 1-based line number, for messages. */
  line: number;
}

/** A parsed program: its statements in order; the last one is the output. */
export interface Program {
  statements: Statement[];
}

/** A syntax error with its position, so the page can point at it. */
export class ParseError extends ValueError {
  constructor(
    message: string,
    readonly pos: number,
    readonly line: number,
    readonly column: number,
  ) {
    super(`line ${line}, column ${column}: ${message}`);
    this.name = 'ParseError';
  }
}

type TokenKind = 'number' | 'name' | 'op' | 'end-of-line' | 'end';
interface Token {
  kind: TokenKind;
  text: string;
  pos: number;
}

const OPERATORS = '+-*/@^()[],=';

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    if (c === '#') {
      while (i < source.length && source[i] !== '\n') i++;
    } else if (c === '\n' || c === ';') {
      tokens.push({ kind: 'end-of-line', text: c, pos: i++ });
    } else if (c === ' ' || c === '\t' || c === '\r') {
      i++;
    } else if (/[0-9.]/.test(c)) {
      const m = /^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(source.slice(i));
      if (!m) throw errorAt(source, i, `'${c}' does not start a number`);
      tokens.push({ kind: 'number', text: m[0], pos: i });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(i))!;
      tokens.push({ kind: 'name', text: m[0], pos: i });
      i += m[0].length;
    } else if (OPERATORS.includes(c)) {
      tokens.push({ kind: 'op', text: c, pos: i++ });
    } else {
      throw errorAt(source, i, `unexpected character '${c}'; expected a number, a name or one of + - * / @ ^ ( ) [ ] , =`);
    }
  }
  tokens.push({ kind: 'end', text: 'end of input', pos: source.length });
  return tokens;
}

function errorAt(source: string, pos: number, message: string): ParseError {
  const before = source.slice(0, pos);
  const line = before.split('\n').length;
  const column = pos - before.lastIndexOf('\n');
  return new ParseError(message, pos, line, column);
}

/** Parses a program; throws a {@link ParseError} naming the line and column of the first mistake. */
export function parseProgram(source: string): Program {
  const tokens = tokenize(source);
  let k = 0;
  const peek = (): Token => tokens[k]!;
  const next = (): Token => tokens[k++]!;
  const isOp = (text: string): boolean => peek().kind === 'op' && peek().text === text;
  const fail = (message: string, at: Token = peek()): never => {
    throw errorAt(source, at.pos, message);
  };
  const expectOp = (text: string, what: string): void => {
    if (!isOp(text)) fail(`expected '${text}' ${what}, found '${peek().text}'`);
    next();
  };

  function expr(): Expr {
    let left = term();
    while (isOp('+') || isOp('-')) {
      const op = next();
      left = { kind: 'binary', op: op.text as BinaryOperator, left, right: term(), pos: op.pos };
    }
    return left;
  }

  function term(): Expr {
    let left = unary();
    while (isOp('*') || isOp('/') || isOp('@')) {
      const op = next();
      left = { kind: 'binary', op: op.text as BinaryOperator, left, right: unary(), pos: op.pos };
    }
    return left;
  }

  function unary(): Expr {
    if (isOp('-')) {
      const minus = next();
      const arg = unary();
      // A negative number is a number (so `x = -1.5` is an input literal, not an op on the tape).
      if (arg.kind === 'number') return { kind: 'number', value: -arg.value, pos: minus.pos };
      return { kind: 'neg', arg, pos: minus.pos };
    }
    return power();
  }

  function power(): Expr {
    const base = primary();
    if (!isOp('^')) return base;
    const op = next();
    return { kind: 'binary', op: '^', left: base, right: unary(), pos: op.pos };
  }

  function primary(): Expr {
    const t = peek();
    if (t.kind === 'number') {
      next();
      return { kind: 'number', value: Number(t.text), pos: t.pos };
    }
    if (t.kind === 'name') {
      next();
      if (!isOp('(')) return { kind: 'name', name: t.text, pos: t.pos };
      next();
      const args: Expr[] = [];
      if (!isOp(')')) {
        args.push(expr());
        while (isOp(',')) {
          next();
          args.push(expr());
        }
      }
      expectOp(')', `to close the call of ${t.text}(`);
      return { kind: 'call', fn: t.text, args, pos: t.pos };
    }
    if (isOp('(')) {
      next();
      const inner = expr();
      expectOp(')', 'to close the parenthesis');
      return inner;
    }
    if (isOp('[')) return { kind: 'literal', value: literal(), pos: t.pos };
    return fail(t.kind === 'end' || t.kind === 'end-of-line' ? 'the expression ends too early' : `unexpected '${t.text}'`);
  }

  function literal(): NestedArray[] {
    expectOp('[', 'to start an array');
    const items: NestedArray[] = [];
    for (;;) {
      if (isOp('[')) items.push(literal());
      else {
        const negative = isOp('-');
        if (negative) next();
        const t = peek();
        if (t.kind !== 'number') fail(`expected a number or '[' inside an array literal, found '${t.text}'`);
        next();
        items.push(negative ? -Number(t.text) : Number(t.text));
      }
      if (isOp(']')) break;
      expectOp(',', 'between array items');
    }
    next();
    return items;
  }

  const statements: Statement[] = [];
  while (peek().kind !== 'end') {
    if (peek().kind === 'end-of-line') {
      next();
      continue;
    }
    const start = peek();
    const line = source.slice(0, start.pos).split('\n').length;
    let name: string | null = null;
    if (start.kind === 'name' && tokens[k + 1]?.kind === 'op' && tokens[k + 1]!.text === '=') {
      name = start.text;
      k += 2;
    }
    const e = expr();
    if (peek().kind !== 'end-of-line' && peek().kind !== 'end') fail(`unexpected '${peek().text}' after the expression`);
    statements.push({ name, expr: e, line });
  }
  if (statements.length === 0) throw new ParseError('the program is empty; write an expression such as tanh(x*w + b)', 0, 1, 1);
  return { statements };
}
