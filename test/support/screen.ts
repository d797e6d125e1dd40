/** A tiny terminal screen model, to check what a user sees of output with in-place redraws. */

/** CSI sequences the table uses: ESC [ n A, ESC [ 2 K. */
const ESCAPE = new RegExp(`^${String.fromCharCode(27)}\\[(\\d*)([AK])`);

/** Applies text with `\r`, `\n`, ESC[nA (cursor up) and ESC[2K (clear line) to a screen of lines. */
export function replay(chunks: string[]): string[] {
  const screen: string[] = [''];
  let row = 0;
  let col = 0;
  const text = chunks.join('');
  for (let i = 0; i < text.length; ) {
    const esc = ESCAPE.exec(text.slice(i));
    if (esc) {
      if (esc[2] === 'A') row = Math.max(0, row - Number(esc[1] || '1'));
      else if (esc[1] === '2') screen[row] = '';
      else throw new Error(`unexpected escape ${JSON.stringify(esc[0])}`);
      i += esc[0].length;
      continue;
    }
    const ch = text[i++]!;
    if (ch === '\u001b') throw new Error('unsupported escape sequence');
    if (ch === '\r') col = 0;
    else if (ch === '\n') {
      row++;
      col = 0;
      if (screen[row] === undefined) screen[row] = '';
    } else {
      const line = (screen[row] ?? '').padEnd(col);
      screen[row] = line.slice(0, col) + ch + line.slice(col + 1);
      col++;
    }
  }
  while (screen.length > 0 && screen[screen.length - 1] === '') screen.pop();
  return screen;
}

